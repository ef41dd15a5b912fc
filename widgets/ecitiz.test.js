'use strict';
// Unit tests of the loader against a small fake DOM: node --test widgets/
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const SOURCE = fs.readFileSync(path.join(__dirname, 'ecitiz.js'), 'utf8');
const KIT = 'https://forms.example.org';
const LOADER = KIT + '/ecitiz/widget/1.0.0/ecitiz.js';

class Element {
  constructor(tag, attrs = {}, text = '') {
    this.tagName = tag.toUpperCase();
    this.attributes = {};
    this.children = [];
    this.parentNode = null;
    this.style = {};
    this.listeners = {};
    this.text = text;
    this.events = [];
    for (const [k, v] of Object.entries(attrs)) this.setAttribute(k, v);
  }
  setAttribute(k, v) { this.attributes[k] = String(v); }
  getAttribute(k) { return k in this.attributes ? this.attributes[k] : null; }
  hasAttribute(k) { return k in this.attributes; }
  get dataset() {
    const d = {};
    for (const [k, v] of Object.entries(this.attributes)) {
      if (k.startsWith('data-')) {
        d[k.slice(5).replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = v;
      }
    }
    return d;
  }
  get src() { return this.attributes.src || ''; }
  set src(v) { this.attributes.src = v; }
  get title() { return this.attributes.title || ''; }
  set title(v) { this.attributes.title = v; }
  get textContent() { return this.text + this.children.map((c) => c.textContent).join(''); }
  get firstChild() { return this.children[0] || null; }
  get nextSibling() {
    const s = this.parentNode.children;
    return s[s.indexOf(this) + 1] || null;
  }
  appendChild(c) { c.parentNode = this; this.children.push(c); return c; }
  insertBefore(c, ref) {
    c.parentNode = this;
    const i = ref ? this.children.indexOf(ref) : this.children.length;
    this.children.splice(i, 0, c);
    return c;
  }
  dispatchEvent(e) { this.events.push(e); }
  addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); }
  remove() {
    this.parentNode.children.splice(this.parentNode.children.indexOf(this), 1);
    this.parentNode = null;
  }
  getBoundingClientRect() { return { top: 100 }; }
  all() { return [this, ...this.children.flatMap((c) => c.all())]; }
}

function matches(el, selector) {
  return selector.split(',').some((s) => {
    const m = /^(\w*)\[([\w-]+)\]$/.exec(s.trim());
    return m && (!m[1] || el.tagName === m[1].toUpperCase()) && el.hasAttribute(m[2]);
  });
}

function page({ lang = 'fr', hash = '', origin = 'https://www.acme.example', state = 'complete' } = {}) {
  const body = new Element('body');
  const listeners = {};
  const scrolls = [];
  const warnings = [];
  const timers = [];
  const document = {
    readyState: state,
    documentElement: { lang },
    body,
    currentScript: null,
    createElement: (tag) => {
      const el = new Element(tag);
      el.contentWindow = { frame: el };
      return el;
    },
    querySelectorAll: (sel) => body.all().filter((el) => matches(el, sel)),
    querySelector: (sel) => document.querySelectorAll(sel)[0] || null,
    addEventListener: (type, fn) => { listeners['doc:' + type] = fn; },
  };
  const window = {
    document,
    location: { origin, hash },
    pageYOffset: 50,
    addEventListener: (type, fn) => {
      (listeners[type] = listeners[type] || []).push(fn);
    },
    scrollTo: (x, y) => scrolls.push(y),
    console: { warn: (line) => warnings.push(line) },
    setTimeout: (fn, ms, arg) => timers.push({ fn: () => fn(arg), ms }),
    CustomEvent: class { constructor(type, init) { this.type = type; Object.assign(this, init); } },
  };
  window.window = window;
  return { window, document, body, listeners, scrolls, warnings, timers };
}

function load(p, script) {
  p.document.currentScript = script || new Element('script', { src: LOADER });
  vm.runInNewContext(SOURCE, { window: p.window, document: p.document, URLSearchParams });
}

function frames(p) {
  return p.body.all().filter((el) => el.tagName === 'IFRAME');
}

function send(p, data, { origin = KIT, source } = {}) {
  for (const fn of p.listeners.message) fn({ origin, source, data });
}

test('a placeholder becomes a titled, lazy frame with the page origin and language', () => {
  const p = page({ lang: 'en-GB' });
  const div = p.body.appendChild(new Element('div', {
    'data-ecitiz-form': 'acme/aid-request', 'data-title': 'Crisis aid',
  }));
  div.appendChild(new Element('a', { href: '#' }, 'Open the form'));
  load(p);
  const [f] = frames(p);
  assert.equal(f.parentNode, div);
  assert.equal(f.title, 'Crisis aid');
  assert.equal(f.getAttribute('loading'), 'lazy');
  assert.equal(f.getAttribute('tabindex'), null);
  assert.match(f.style.cssText, /width:100%/);
  const url = new URL(f.src);
  assert.equal(url.origin + url.pathname, KIT + '/ecitiz/f/acme/aid-request');
  assert.equal(url.searchParams.get('lang'), 'en');
  assert.equal(url.searchParams.get('origin'), 'https://www.acme.example');
  assert.equal(url.searchParams.get('embed'), 'ecitiz-0');
});

test('the script tag itself can place a form right after it', () => {
  const p = page();
  const script = p.body.appendChild(new Element('script', {
    src: LOADER, 'data-form': 'acme/attestation', 'data-lang': 'en',
  }));
  const after = p.body.appendChild(new Element('p'));
  load(p, script);
  const [f] = frames(p);
  assert.equal(p.body.children.indexOf(f), 1);
  assert.equal(p.body.children[2], after);
  assert.match(f.src, /\/f\/acme\/attestation\?lang=en&/);
  assert.equal(f.title, 'acme/attestation', 'a frame always has a title');
});

test('invalid placeholders are left alone', () => {
  const p = page();
  for (const bad of ['acme', 'acme/aid/x', 'ACME/aid-request', '../x/y', 'a b/c']) {
    p.body.appendChild(new Element('div', { 'data-ecitiz-form': bad }));
  }
  p.body.appendChild(new Element('div', { 'data-ecitiz-status': 'no/slash' }));
  p.body.appendChild(new Element('div', { 'data-form': 'acme/aid-request' }));
  load(p);
  assert.equal(frames(p).length, 0);
});

test('several forms on a page get their own frame and id', () => {
  const p = page();
  p.body.appendChild(new Element('div', { 'data-ecitiz-form': 'acme/aid-request' }));
  p.body.appendChild(new Element('div', { 'data-ecitiz-form': 'acme/attestation' }));
  load(p);
  const ids = frames(p).map((f) => new URL(f.src).searchParams.get('embed'));
  assert.deepEqual(ids, ['ecitiz-0', 'ecitiz-1']);
});

test('loading the loader twice changes nothing, and adds one global only', () => {
  const p = page();
  p.body.appendChild(new Element('div', { 'data-ecitiz-form': 'acme/aid-request' }));
  const before = new Set(Object.keys(p.window));
  load(p);
  load(p);
  assert.equal(frames(p).length, 1);
  assert.equal(p.listeners.message.length, 1);
  const added = Object.keys(p.window).filter((k) => !before.has(k));
  assert.deepEqual(added, ['ecitiz']);
});

test('a second loader picks up placeholders added since', () => {
  const p = page();
  p.body.appendChild(new Element('div', { 'data-ecitiz-form': 'acme/aid-request' }));
  load(p);
  p.body.appendChild(new Element('div', { 'data-ecitiz-form': 'acme/attestation' }));
  load(p);
  assert.equal(frames(p).length, 2);
});

test('placeholders after an async loader are found once the page is parsed', () => {
  const p = page({ state: 'loading' });
  load(p);
  p.body.appendChild(new Element('div', { 'data-ecitiz-form': 'acme/aid-request' }));
  assert.equal(frames(p).length, 0);
  p.listeners['doc:DOMContentLoaded']();
  assert.equal(frames(p).length, 1);
});

test('theme options are validated before they reach the frame address', () => {
  const p = page();
  p.body.appendChild(new Element('div', {
    'data-ecitiz-form': 'acme/aid-request', 'data-primary': '#0a5',
    'data-radius': '12', 'data-font': 'serif',
  }));
  p.body.appendChild(new Element('div', {
    'data-ecitiz-form': 'acme/attestation', 'data-primary': 'red;x:url(y)',
    'data-radius': '99', 'data-font': 'Comic Sans; x',
  }));
  load(p);
  const [good, bad] = frames(p).map((f) => new URL(f.src).searchParams);
  assert.equal(good.get('primary'), '#0a5');
  assert.equal(good.get('radius'), '12');
  assert.equal(good.get('font'), 'serif');
  assert.equal(bad.get('primary'), null);
  assert.equal(bad.get('radius'), null);
  assert.equal(bad.get('font'), null);
});

test('prefill goes in the fragment, never the query, and only well-formed names', () => {
  const p = page();
  p.body.appendChild(new Element('div', {
    'data-ecitiz-form': 'acme/aid-request',
    'data-prefill': 'siret=73282932000074&legal_name=Boulangerie%20Durand&Bad-Name=x&x=' + 'y'.repeat(501),
  }));
  load(p);
  const url = new URL(frames(p)[0].src);
  assert.equal(url.searchParams.get('siret'), null);
  const hash = new URLSearchParams(url.hash.slice(1));
  assert.equal(hash.get('siret'), '73282932000074');
  assert.equal(hash.get('legal_name'), 'Boulangerie Durand');
  assert.equal(hash.get('Bad-Name'), null);
  assert.equal(hash.get('x'), null);
});

test('status mode passes a tracking token from the host fragment to the frame fragment', () => {
  const p = page({ hash: '#ecitiz=WzEsMF0.aBcDeF.gHiJkLmNoP' });
  p.body.appendChild(new Element('div', { 'data-ecitiz-status': 'acme' }));
  load(p);
  const url = new URL(frames(p)[0].src);
  assert.equal(url.pathname, '/ecitiz/t/acme');
  assert.equal(url.search.includes('WzEs'), false);
  assert.equal(url.hash, '#token=WzEsMF0.aBcDeF.gHiJkLmNoP');
});

test('the counter frames all of an organisation\'s procedures, with the same events', () => {
  const p = page({ lang: 'en' });
  const div = p.body.appendChild(new Element('div', {
    'data-ecitiz-counter': 'acme', 'data-heading': 'hidden',
  }));
  const link = div.appendChild(new Element('a', {}, 'See our online procedures'));
  p.body.appendChild(new Element('div', { 'data-ecitiz-counter': 'no/slash' }));
  load(p);
  const all = frames(p);
  assert.equal(all.length, 1);
  const [f] = all;
  assert.equal(f.title, 'See our online procedures');
  const url = new URL(f.src);
  assert.equal(url.origin + url.pathname, KIT + '/ecitiz/c/acme');
  assert.equal(url.searchParams.get('lang'), 'en');
  assert.equal(url.searchParams.get('heading'), 'hidden');
  assert.equal(url.searchParams.get('embed'), 'ecitiz-0');
  assert.deepEqual(p.warnings, []);
  const source = f.contentWindow;
  send(p, { ecitiz: 1, type: 'ready', id: 'ecitiz-0', height: 600 }, { source });
  send(p, { ecitiz: 1, type: 'submitted', id: 'ecitiz-0', reference: 'AID-2345-6789' }, { source });
  assert.equal(f.style.height, '600px');
  assert.equal(link.hidden, true);
  assert.deepEqual(div.events.map((e) => e.type), ['ecitiz:ready', 'ecitiz:submitted']);
  assert.equal(div.events[1].detail.reference, 'AID-2345-6789');
});

test('messages resize the frame and become events on the placeholder', () => {
  const p = page();
  const div = p.body.appendChild(new Element('div', {
    'data-ecitiz-form': 'acme/aid-request', 'data-on-submit': 'done',
  }));
  const link = div.appendChild(new Element('a', {}, 'fallback'));
  const calls = [];
  p.window.done = (detail) => calls.push(detail);
  load(p);
  const [f] = frames(p);
  const source = f.contentWindow;
  send(p, { ecitiz: 1, type: 'ready', id: 'ecitiz-0', height: 812.4 }, { source });
  assert.equal(f.style.height, '813px');
  assert.equal(link.hidden, true);
  send(p, { ecitiz: 1, type: 'submitted', id: 'ecitiz-0', reference: 'AID-2345-6789', email: 'x@y' }, { source });
  send(p, { ecitiz: 1, type: 'error', id: 'ecitiz-0', reason: 'invalid' }, { source });
  send(p, { ecitiz: 1, type: 'scroll', id: 'ecitiz-0', top: 30 }, { source });
  assert.deepEqual(div.events.map((e) => e.type), ['ecitiz:ready', 'ecitiz:submitted', 'ecitiz:error']);
  assert.ok(div.events.every((e) => e.bubbles));
  assert.deepEqual(JSON.parse(JSON.stringify(div.events[1].detail)), { form: 'acme/aid-request', id: 'ecitiz-0', reference: 'AID-2345-6789' });
  assert.equal(calls.length, 1);
  assert.equal(calls[0], div.events[1].detail);
  assert.deepEqual(p.scrolls, [100 + 50 + 30 - 16]);
});

test('messages from another origin, another window or without the marker are ignored', () => {
  const p = page();
  const div = p.body.appendChild(new Element('div', { 'data-ecitiz-form': 'acme/aid-request' }));
  load(p);
  const [f] = frames(p);
  const ok = { ecitiz: 1, type: 'submitted', id: 'ecitiz-0', reference: 'AID-2345-6789', height: 9000 };
  send(p, ok, { origin: 'https://evil.example', source: f.contentWindow });
  send(p, ok, { origin: KIT, source: {} });
  send(p, ok, { origin: KIT, source: null });
  send(p, { ...ok, ecitiz: 2 }, { source: f.contentWindow });
  send(p, { ...ok, id: 'ecitiz-7' }, { source: f.contentWindow });
  send(p, 'ecitiz', { source: f.contentWindow });
  send(p, { ...ok, reference: '<img src=x>', height: undefined }, { source: f.contentWindow });
  assert.deepEqual(div.events, []);
  assert.equal(f.style.height, undefined, 'no message resized the frame');
});

test('a loader whose own address is not the kit\'s does nothing', () => {
  const p = page();
  p.body.appendChild(new Element('div', { 'data-ecitiz-form': 'acme/aid-request' }));
  load(p, new Element('script', { src: 'https://cdn.example/other.js' }));
  assert.equal(frames(p).length, 0);
  assert.equal(p.window.ecitiz, undefined);
});

test('an absent option adds nothing to the frame address', () => {
  const p = page({ lang: '' });
  p.body.appendChild(new Element('div', { 'data-ecitiz-form': 'acme/aid-request' }));
  load(p);
  const url = new URL(frames(p)[0].src);
  assert.deepEqual([...url.searchParams.keys()], ['origin', 'embed']);
  assert.equal(frames(p)[0].src.includes('undefined'), false);
  assert.deepEqual(p.warnings, []);
});

test('the heading and the language switch can be hidden', () => {
  const p = page();
  p.body.appendChild(new Element('div', {
    'data-ecitiz-form': 'acme/aid-request', 'data-heading': 'hidden',
    'data-languages': 'hidden',
  }));
  p.body.appendChild(new Element('div', {
    'data-ecitiz-form': 'acme/attestation', 'data-heading': 'shown',
    'data-languages': 'shown',
  }));
  load(p);
  const [hidden, shown] = frames(p).map((f) => new URL(f.src).searchParams);
  assert.equal(hidden.get('heading'), 'hidden');
  assert.equal(hidden.get('languages'), 'hidden');
  assert.equal(shown.get('heading'), 'shown');
  assert.equal(shown.get('languages'), 'shown');
  assert.deepEqual(p.warnings, []);
});

test('unknown or malformed options are ignored, with one console line', () => {
  const p = page();
  p.body.appendChild(new Element('div', {
    'data-ecitiz-form': 'acme/aid-request', 'data-colour': '#000',
    'data-heading': 'none', 'data-font': 'Comic Sans', 'data-radius': '12',
    'data-lang': '<en>', 'data-timeout': 'soon',
  }));
  load(p);
  const url = new URL(frames(p)[0].src);
  assert.equal(url.searchParams.get('heading'), null);
  assert.equal(url.searchParams.get('font'), null);
  assert.equal(url.searchParams.get('radius'), '12');
  assert.equal(url.searchParams.get('lang'), null);
  assert.equal(p.warnings.length, 1);
  for (const name of ['data-colour', 'data-heading', 'data-font', 'data-lang', 'data-timeout']) {
    assert.ok(p.warnings[0].includes(name), name);
  }
  assert.equal(p.warnings[0].includes('radius'), false);
});

function refusedPage(attrs = {}) {
  const p = page();
  const div = p.body.appendChild(new Element('div', { 'data-ecitiz-form': 'acme/aid-request', ...attrs }));
  const link = div.appendChild(new Element('a', { href: '#' }, 'Open the form'));
  load(p);
  return { p, div, link, frame: frames(p)[0] };
}

test('a frame that never says hello is removed, leaving the link and one console line', () => {
  const { p, div, link, frame } = refusedPage();
  assert.deepEqual(p.timers, [], 'the wait starts when the frame has loaded');
  frame.listeners.load[0]();
  frame.listeners.load[0]();
  assert.equal(p.timers.length, 1);
  assert.equal(p.timers[0].ms, 8000);
  p.timers[0].fn();
  assert.deepEqual(frames(p), []);
  assert.deepEqual(div.children, [link]);
  assert.notEqual(link.hidden, true);
  assert.deepEqual(p.warnings, [
    'ecitiz: https://www.acme.example may not show the forms of acme;'
    + ' allow it with: ecitiz allow-origin acme https://www.acme.example',
  ]);
});

test('data-timeout sets the wait in seconds', () => {
  const { p, frame } = refusedPage({ 'data-timeout': '2' });
  frame.listeners.load[0]();
  assert.equal(p.timers[0].ms, 2000);
});

test('a frame that said hello stays', () => {
  const { p, link, frame } = refusedPage();
  const source = frame.contentWindow;
  frame.listeners.load[0]();
  send(p, { ecitiz: 1, type: 'ready', id: 'ecitiz-0', height: 800 }, { source });
  p.timers[0].fn();
  frame.listeners.load[0]();
  assert.deepEqual(frames(p), [frame]);
  assert.equal(link.hidden, true);
  assert.equal(p.timers.length, 1);
  assert.deepEqual(p.warnings, []);
});
