'use strict';
// The loader and the frame helper of every released version work with those of
// every other: host pages keep the loader they pasted (pinned by its hash) while
// the kit serves the frame helper of its running version, and during an upgrade
// the two may even come from different versions. node --test widgets/
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const KIT = 'https://forms.example.org';
const HOST = 'https://www.acme.example';
const RELEASED = path.join(__dirname, 'released');
const MANIFEST = JSON.parse(fs.readFileSync(path.join(RELEASED, 'manifest.json'), 'utf8'));

function scripts(name) {
  const all = { current: fs.readFileSync(path.join(__dirname, name), 'utf8') };
  for (const version of Object.keys(MANIFEST)) {
    all[version] = fs.readFileSync(path.join(RELEASED, version, name), 'utf8');
  }
  return all;
}
const LOADERS = scripts('ecitiz.js');
const FRAMES = scripts('frame.js');

// The query parameters and fragment keys the kit reads from a frame's address
// (ecitiz_kit/web/embedding.py and the pages); a loader may send no other.
const QUERY = new Set(['lang', 'primary', 'radius', 'font', 'heading', 'languages', 'origin', 'embed']);

class Element {
  constructor(tag, attrs = {}) {
    this.tagName = tag.toUpperCase();
    this.attributes = {};
    this.children = [];
    this.style = {};
    this.events = [];
    this.hidden = false;
    for (const [k, v] of Object.entries(attrs)) this.attributes[k] = v;
  }
  setAttribute(k, v) { this.attributes[k] = String(v); }
  getAttribute(k) { return k in this.attributes ? this.attributes[k] : null; }
  hasAttribute(k) { return k in this.attributes; }
  get dataset() {
    const d = {};
    for (const [k, v] of Object.entries(this.attributes)) {
      if (k.startsWith('data-')) d[k.slice(5).replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = v;
    }
    return d;
  }
  get src() { return this.attributes.src || ''; }
  set src(v) { this.attributes.src = v; }
  get title() { return this.attributes.title || ''; }
  set title(v) { this.attributes.title = v; }
  get textContent() { return ''; }
  get firstChild() { return this.children[0] || null; }
  appendChild(c) { c.parentNode = this; this.children.push(c); return c; }
  insertBefore(c, ref) {
    c.parentNode = this;
    this.children.splice(ref ? this.children.indexOf(ref) : this.children.length, 0, c);
    return c;
  }
  dispatchEvent(e) { this.events.push(e); }
  addEventListener() {}
  getBoundingClientRect() { return { top: 100 }; }
}

// A host page holding one placeholder, with a loader in it.
function hostPage(loader, attrs) {
  const placeholder = new Element('div', attrs);
  placeholder.appendChild(new Element('a', { href: KIT + '/ecitiz/f/acme/aid-request' }));
  const listeners = [];
  const document = {
    readyState: 'complete',
    documentElement: { lang: 'fr' },
    currentScript: new Element('script', { src: KIT + '/ecitiz/widget/0.1.0/ecitiz.js' }),
    createElement: (tag) => {
      const el = new Element(tag);
      el.contentWindow = {};
      return el;
    },
    querySelectorAll: (sel) => (sel.includes('[data-ecitiz-') ? [placeholder] : []),
    querySelector: () => null,
    addEventListener: () => {},
  };
  const window = {
    document,
    location: { origin: HOST, hash: '' },
    pageYOffset: 0,
    addEventListener: (type, fn) => { if (type === 'message') listeners.push(fn); },
    scrollTo: () => {},
    CustomEvent: class { constructor(type, init) { this.type = type; Object.assign(this, init); } },
  };
  vm.runInNewContext(loader, { window, document, URLSearchParams });
  const frame = placeholder.children.find((c) => c.tagName === 'IFRAME');
  const deliver = (data) => {
    for (const fn of listeners) fn({ origin: KIT, source: frame.contentWindow, data });
  };
  return { placeholder, frame, deliver };
}

// The kit's page in the frame, as the server renders it for that address: the
// embedding origin and frame id it accepted, and what happened on the page.
function framePage(helper, src, body) {
  const url = new URL(src);
  const posted = [];
  const document = {
    body: {
      dataset: {
        ecitizOrigin: url.searchParams.get('origin'),
        ecitizEmbed: url.searchParams.get('embed'),
        ...body,
      },
    },
    documentElement: { getBoundingClientRect: () => ({ height: 1234.5 }) },
    querySelectorAll: () => [],
    getElementById: () => null,
  };
  const window = {
    location: { hash: url.hash },
    scrollY: 0,
    addEventListener: () => {},
    parent: { postMessage: (m, target) => posted.push({ m: JSON.parse(JSON.stringify(m)), target }) },
  };
  vm.runInNewContext(helper, { window, document, URLSearchParams });
  return posted;
}

for (const [loaderVersion, loader] of Object.entries(LOADERS)) {
  for (const [frameVersion, helper] of Object.entries(FRAMES)) {
    const pair = `loader ${loaderVersion} with frame helper ${frameVersion}`;

    test(`${pair}: the frame's address has the shape the kit serves`, () => {
      const { frame } = hostPage(loader, {
        'data-ecitiz-form': 'acme/aid-request', 'data-title': 'Aide',
        'data-primary': '#7a1f5c', 'data-radius': '8', 'data-font': 'serif',
        'data-prefill': 'siret=73282932000074',
      });
      const url = new URL(frame.src);
      assert.equal(url.origin + url.pathname, KIT + '/ecitiz/f/acme/aid-request');
      for (const key of url.searchParams.keys()) assert.ok(QUERY.has(key), key);
      assert.equal(url.searchParams.get('origin'), HOST);
      assert.match(url.searchParams.get('embed'), /^ecitiz-\d+$/);
      assert.equal(url.hash, '#siret=73282932000074');
    });

    test(`${pair}: the form shows, fits, and reports its submission`, () => {
      const host = hostPage(loader, { 'data-ecitiz-form': 'acme/aid-request', 'data-title': 'Aide' });
      const posted = framePage(helper, host.frame.src, {
        ecitizEvent: 'submitted', ecitizReference: 'AID-2345-6789',
      });
      assert.ok(posted.length >= 2);
      for (const { m, target } of posted) {
        assert.equal(target, HOST);
        host.deliver(m);
      }
      assert.equal(host.frame.style.height, '1235px');
      assert.deepEqual(host.placeholder.events.map((e) => e.type), ['ecitiz:ready', 'ecitiz:submitted']);
      assert.equal(host.placeholder.events[1].detail.reference, 'AID-2345-6789');
      assert.equal(host.placeholder.children[1].hidden, true); // the fallback link
    });

    test(`${pair}: refused answers are reported as such`, () => {
      const host = hostPage(loader, { 'data-ecitiz-form': 'acme/aid-request' });
      const posted = framePage(helper, host.frame.src, { ecitizEvent: 'error', ecitizReason: 'invalid' });
      for (const { m } of posted) host.deliver(m);
      const error = host.placeholder.events.find((e) => e.type === 'ecitiz:error');
      assert.equal(error.detail.reason, 'invalid');
    });

    test(`${pair}: the status mode frames the organisation's tracking page`, () => {
      const host = hostPage(loader, { 'data-ecitiz-status': 'acme' });
      const url = new URL(host.frame.src);
      assert.equal(url.pathname, '/ecitiz/t/acme');
      for (const { m } of framePage(helper, host.frame.src, {})) host.deliver(m);
      assert.deepEqual(host.placeholder.events.map((e) => e.type), ['ecitiz:ready']);
    });
  }
}

test('every release is tested here', () => {
  assert.ok('0.1.0' in LOADERS && '0.1.0' in FRAMES);
});
