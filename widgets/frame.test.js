'use strict';
// Unit tests of the frame helper against a small fake DOM: node --test widgets/
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const SOURCE = fs.readFileSync(path.join(__dirname, 'frame.js'), 'utf8');

function field(attrs) {
  return { value: '', checked: false, type: 'text', ...attrs };
}

function run({ body = {}, hash = '', fields = [], byId = {}, framed = true, observer = true, boxes = [], posts = null, steps = true } = {}) {
  const posted = [];
  const observed = [];
  const scrolled = [];
  const scrollable = (el, name) => Object.assign(el, { scrollIntoView: () => scrolled.push(name) });
  for (const id of Object.keys(byId)) scrollable(byId[id], id);
  const parent = { postMessage: (m, target) => posted.push({ m: JSON.parse(JSON.stringify(m)), target }) };
  const document = {
    body: scrollable({ dataset: body }, 'body'),
    documentElement: { getBoundingClientRect: () => ({ height: document.height }) },
    height: 700.2,
    querySelector: (sel) => {
      assert.equal(sel, 'input[name="_steps"]');
      return posts && steps ? {} : null;
    },
    querySelectorAll: (sel) => {
      if (sel === '[data-ecitiz-when]') return boxes;
      if (sel === 'form[method="post"], [formaction]') return posts || [];
      const named = /^\[name="([^"]+)"\]$/.exec(sel);
      if (named) return fields.filter((f) => f.name === named[1]);
      const m = /^\[data-ecitiz-prefill\]\[name="([^"]+)"\]$/.exec(sel);
      assert.ok(m, 'unexpected selector ' + sel);
      return fields.filter((f) => f.prefill && f.name === m[1]);
    },
    addEventListener: (type, fn) => { document['on' + type] = fn; },
    getElementById: (id) => byId[id] || null,
  };
  const window = {
    location: { hash },
    scrollY: 0,
    addEventListener: (type, fn) => { window['on' + type] = fn; },
    ResizeObserver: observer
      ? class { constructor(fn) { window.resized = fn; } observe(el) { observed.push(el); } }
      : undefined,
  };
  window.parent = framed ? parent : window;
  vm.runInNewContext(SOURCE, { window, document, URLSearchParams });
  return { posted, window, document, observed, scrolled };
}

const EMBED = { ecitizOrigin: 'https://www.acme.example', ecitizEmbed: 'ecitiz-0' };

test('without an origin checked by the server, nothing is ever posted', () => {
  const { posted } = run({ body: { ecitizEmbed: 'ecitiz-0', ecitizEvent: 'submitted', ecitizReference: 'AID-1' } });
  assert.deepEqual(posted, []);
});

test('a page not in a frame posts nothing', () => {
  const { posted } = run({ body: EMBED, framed: false });
  assert.deepEqual(posted, []);
});

test('ready carries the height and goes only to the embedding origin', () => {
  const { posted, observed, document } = run({ body: EMBED });
  assert.deepEqual(posted, [{
    m: { ecitiz: 1, type: 'ready', id: 'ecitiz-0', height: 701 },
    target: 'https://www.acme.example',
  }]);
  assert.deepEqual(observed, [document.documentElement]);
});

test('a change of height is reported once, by the resize observer', () => {
  const { posted, window, document } = run({ body: EMBED });
  window.resized();
  assert.equal(posted.length, 1);
  document.height = 950;
  window.resized();
  window.resized();
  assert.equal(posted.length, 2);
  assert.deepEqual(posted[1].m, { ecitiz: 1, type: 'resize', id: 'ecitiz-0', height: 950 });
});

test('a receipt reports the reference only, and asks the host to scroll to the top', () => {
  const { posted } = run({
    body: { ...EMBED, ecitizEvent: 'submitted', ecitizReference: 'AID-2345-6789', ecitizScroll: 'top' },
  });
  assert.deepEqual(posted.map((p) => p.m.type), ['ready', 'submitted', 'scroll']);
  assert.equal(posted[1].m.reference, 'AID-2345-6789');
  assert.deepEqual(Object.keys(posted[1].m).sort(), ['ecitiz', 'height', 'id', 'reference', 'type']);
  assert.equal(posted[2].m.top, 0);
});

test('validation errors focus the summary and ask the host to scroll to it', () => {
  const focused = [];
  const summary = {
    tabIndex: -1,
    focus: (o) => focused.push(o),
    getBoundingClientRect: () => ({ top: 240.6 }),
  };
  const { posted } = run({
    body: { ...EMBED, ecitizEvent: 'error', ecitizReason: 'invalid', ecitizScroll: 'error-summary' },
    byId: { 'error-summary': summary },
  });
  assert.deepEqual(posted.map((p) => p.m.type), ['ready', 'error', 'scroll']);
  assert.equal(posted[1].m.reason, 'invalid');
  assert.equal(posted[2].m.top, 241);
  assert.deepEqual(JSON.parse(JSON.stringify(focused)), [{ preventScroll: true }]);
});

test('a plain frame brings a new page into view itself, posting nothing', () => {
  const { posted, scrolled } = run({ body: { ecitizEvent: 'submitted', ecitizScroll: 'top' } });
  assert.deepEqual(posted, []);
  assert.deepEqual(scrolled, ['body']);
});

test('a plain frame scrolls to and focuses the error summary', () => {
  const focused = [];
  const { posted, scrolled } = run({
    body: { ecitizEvent: 'error', ecitizScroll: 'error-summary' },
    byId: { 'error-summary': { id: 'error-summary', tabIndex: -1, focus: (o) => focused.push(o) } },
  });
  assert.deepEqual(posted, []);
  assert.deepEqual(scrolled, ['error-summary']);
  assert.deepEqual(JSON.parse(JSON.stringify(focused)), [{ preventScroll: true }]);
});

test('a first page, or a page not in a frame, does not scroll', () => {
  assert.deepEqual(run({ body: {} }).scrolled, []);
  assert.deepEqual(run({ body: { ecitizScroll: 'top' }, framed: false }).scrolled, []);
});

test('a form in steps keeps the prefill fragment through each post', () => {
  const form = { tagName: 'FORM', action: 'https://kit.example/f/acme/aid/step?lang=fr' };
  const later = { tagName: 'INPUT', formAction: 'https://kit.example/f/acme/aid/later#old' };
  run({ body: EMBED, hash: '#siret=73282932000074', posts: [form, later] });
  assert.equal(form.action, 'https://kit.example/f/acme/aid/step?lang=fr#siret=73282932000074');
  assert.equal(later.formAction, 'https://kit.example/f/acme/aid/later#siret=73282932000074');
  // A form on one page (no steps token) is left as it is.
  const single = { tagName: 'FORM', action: 'https://kit.example/f/acme/att' };
  run({ body: EMBED, hash: '#siret=1', posts: [single], steps: false });
  assert.equal(single.action, 'https://kit.example/f/acme/att');
});

test('prefill fills only empty, prefillable fields', () => {
  const siret = field({ name: 'siret', prefill: true });
  const town = field({ name: 'town', prefill: true, value: 'Lyon' });
  const iban = field({ name: 'iban', prefill: false });
  const radio = [field({ name: 'purpose', prefill: true, type: 'radio', value: 'work' }),
    field({ name: 'purpose', prefill: true, type: 'radio', value: 'care' })];
  run({
    hash: '#siret=73282932000074&town=Paris&iban=FR76&purpose=care&bad%22%5D=1',
    fields: [siret, town, iban, ...radio],
  });
  assert.equal(siret.value, '73282932000074');
  assert.equal(town.value, 'Lyon');
  assert.equal(iban.value, '');
  assert.deepEqual(radio.map((r) => r.checked), [false, true]);
});

test('a tracking token in the fragment is looked up at once, by POST', () => {
  const submitted = [];
  const link = { value: '', form: { submit: () => submitted.push(link.value) } };
  const { posted } = run({ body: EMBED, hash: '#token=WzEsMF0.aBcDeF.gHiJkL', byId: { 'f-link': link } });
  assert.deepEqual(submitted, ['WzEsMF0.aBcDeF.gHiJkL']);
  assert.deepEqual(posted, []);
});

test('a malformed token is not submitted', () => {
  const submitted = [];
  const link = { value: '', form: { submit: () => submitted.push(link.value) } };
  run({ body: EMBED, hash: '#token=%3Cscript%3E', byId: { 'f-link': link } });
  assert.deepEqual(submitted, []);
});

// -- questions that apply only on some answers ----------------------------------

// A block holding controls, under a condition, maybe inside another block.
function box(condition, controls, parent = null) {
  const el = {
    hidden: false,
    parent,
    controls,
    getAttribute: (name) => (name === 'data-ecitiz-when' ? JSON.stringify(condition) : null),
    querySelectorAll: (sel) => {
      assert.equal(sel, 'input,select,textarea');
      return controls;
    },
  };
  el.parentNode = { closest: () => (parent && (parent.hidden ? parent : parent.parentNode.closest())) || null };
  return el;
}

function control(attrs) {
  const f = field({ disabled: false, required: false, ...attrs });
  f.hasAttribute = (name) => name === 'data-ecitiz-required' && Boolean(f.wantsRequired);
  return f;
}

test('a question shows and is sent only while its condition holds', () => {
  const headcount = control({ name: 'headcount', value: '' });
  const shortTime = control({ name: 'short_time', wantsRequired: true });
  const section = box({ field: 'headcount', op: 'greater_than', value: '0' }, [shortTime]);
  const { document } = run({ fields: [headcount, shortTime], boxes: [section] });
  assert.deepEqual([section.hidden, shortTime.disabled], [true, true]);
  for (const [typed, shown] of [['3', true], ['0', false], ['1 200', true], ['abc', false], ['', false]]) {
    headcount.value = typed;
    document.oninput();
    assert.deepEqual([section.hidden, shortTime.disabled], [!shown, !shown], typed);
  }
  assert.equal(shortTime.required, true);
});

test('amounts are read as typed in French, and compared with each operator', () => {
  const amount = control({ name: 'amount', value: '1 500,50' });
  const cases = { greater_than: ['1500.5', false], at_least: ['1500.50', true], less_than: ['2000', true], at_most: ['1500', false] };
  for (const [op, [value, shown]] of Object.entries(cases)) {
    const details = control({ name: 'details' });
    const block = box({ field: 'amount', op, value }, [details]);
    run({ fields: [amount, details], boxes: [block] });
    assert.equal(block.hidden, !shown, op);
  }
});

test('choices and boxes: one of some options, ticked or not', () => {
  const radios = [control({ name: 'purpose', type: 'radio', value: 'work' }),
    control({ name: 'purpose', type: 'radio', value: 'other' })];
  const tick = control({ name: 'other_aid', type: 'checkbox' });
  const details = control({ name: 'purpose_details' });
  const aid = control({ name: 'other_aid_details' });
  const noAid = control({ name: 'why_not' });
  const blocks = [box({ field: 'purpose', op: 'one_of', value: ['other'] }, [details]),
    box({ field: 'other_aid', op: 'ticked', value: true }, [aid]),
    box({ field: 'other_aid', op: 'ticked', value: false }, [noAid])];
  const { document } = run({ fields: [...radios, tick, details, aid, noAid], boxes: blocks });
  assert.deepEqual(blocks.map((b) => b.hidden), [true, true, false]);
  radios[1].checked = true;
  tick.checked = true;
  document.onchange();
  assert.deepEqual(blocks.map((b) => b.hidden), [false, false, true]);
  assert.deepEqual([details, aid, noAid].map((c) => c.disabled), [false, false, true]);
});

test('a box ticked on an earlier page counts as ticked from its carried value', () => {
  const carried = control({ name: 'employees', type: 'hidden', value: 'y' });
  const count = control({ name: 'headcount' });
  const none = control({ name: 'why_none' });
  const blocks = [box({ field: 'employees', op: 'ticked', value: true }, [count]),
    box({ field: 'employees', op: 'ticked', value: false }, [none])];
  run({ fields: [carried, count, none], boxes: blocks });
  assert.deepEqual(blocks.map((b) => b.hidden), [false, true]);
  carried.value = '';
  run({ fields: [carried, count, none], boxes: blocks });
  assert.deepEqual(blocks.map((b) => b.hidden), [true, false]);
});

test('a question under a hidden question or section stays hidden', () => {
  const tick = control({ name: 'employees', type: 'checkbox', checked: false });
  const count = control({ name: 'count', value: '5' });
  const payroll = control({ name: 'payroll' });
  const site = control({ name: 'site', type: 'checkbox', checked: true });
  const rent = control({ name: 'rent' });
  const section = box({ field: 'employees', op: 'ticked', value: true }, [count, payroll, rent]);
  // Inside the section: one question on an answer in it, one on an answer before it.
  const inner = box({ field: 'count', op: 'greater_than', value: '0' }, [payroll], section);
  const outer = box({ field: 'site', op: 'ticked', value: true }, [rent], section);
  const { document } = run({ fields: [tick, site, count, payroll, rent], boxes: [section, inner, outer] });
  assert.deepEqual([section.hidden, inner.hidden, outer.hidden], [true, true, true]);
  assert.deepEqual([payroll.disabled, rent.disabled], [true, true]);
  tick.checked = true;
  document.onchange();
  assert.deepEqual([section.hidden, inner.hidden, outer.hidden], [false, false, false]);
  assert.deepEqual([payroll.disabled, rent.disabled], [false, false]);
  count.value = '0';
  document.oninput();
  assert.deepEqual([inner.hidden, count.disabled, payroll.disabled], [true, false, true]);
});

test('a page without conditions listens to nothing', () => {
  const { document } = run({});
  assert.equal(document.oninput, undefined);
  assert.equal(document.onchange, undefined);
});
