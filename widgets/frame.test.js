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

function run({ body = {}, hash = '', fields = [], byId = {}, framed = true, observer = true } = {}) {
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
    querySelectorAll: (sel) => {
      const m = /^\[data-ecitiz-prefill\]\[name="([^"]+)"\]$/.exec(sel);
      assert.ok(m, 'unexpected selector ' + sel);
      return fields.filter((f) => f.prefill && f.name === m[1]);
    },
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
