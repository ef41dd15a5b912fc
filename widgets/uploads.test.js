'use strict';
// Unit tests of the form's upload script (static/uploads.js) against a small
// fake DOM: node --test widgets/
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const SOURCE = fs.readFileSync(path.join(__dirname, '..', 'static', 'uploads.js'), 'utf8');

function element(tag) {
  const el = {
    tagName: tag.toUpperCase(),
    children: [],
    attributes: {},
    textContent: '',
    appendChild(child) { this.children.push(child); child.parentNode = this; return child; },
    removeChild(child) { this.children = this.children.filter((c) => c !== child); },
    insertBefore(child) { this.children.unshift(child); child.parentNode = this; return child; },
    setAttribute(name, value) { this.attributes[name] = String(value); },
  };
  return el;
}

function run() {
  const sent = [];
  const byId = {};
  const listeners = {};
  const field = element('div');
  const input = Object.assign(element('input'), {
    name: 'documents', value: 'C:\\fakepath\\a.pdf', required: true,
    addEventListener: (type, fn) => { listeners['input-' + type] = fn; },
  });
  field.appendChild(input);
  const form = {
    dataset: {
      ecitizUpload: '/f/acme/aid-request/upload', ecitizRemove: '/f/acme/aid-request/remove',
      ecitizTextList: 'Files', ecitizTextRemove: 'Remove', ecitizTextRemoveName: 'Remove {name}',
      ecitizTextSending: 'Sending {name}…', ecitizTextKept: '{name} is attached.',
      ecitizTextFailed: 'Could not send.',
    },
    elements: { ticket: { value: 'T' } },
    addEventListener: (type, fn) => { listeners['form-' + type] = fn; },
    querySelectorAll: () => [input],
    submitted: [],
    requestSubmit(submitter) { this.submitted.push(submitter); },
  };
  byId['ecitiz-upload-status'] = element('p');
  const document = {
    querySelector: (sel) => (sel === 'form[data-ecitiz-upload]' ? form : null),
    getElementById: (id) => byId[id] || field.children.find((c) => c.id === id) || null,
    createElement: element,
    createTextNode: (text) => ({ textContent: text }),
  };
  class FormData {
    constructor() { this.parts = []; }
    append(...part) { this.parts.push(part); }
  }
  class XMLHttpRequest {
    constructor() { this.upload = {}; sent.push(this); }
    open(method, url) { this.method = method; this.url = url; }
    send(body) { this.body = body; }
    answer(status, json) {
      this.status = status;
      this.responseText = JSON.stringify(json);
      this.onload();
    }
  }
  const window = { XMLHttpRequest, FormData };
  vm.runInNewContext(SOURCE, { window, document });
  const choose = (...files) => {
    input.files = files.map((name) => ({ name }));
    listeners['input-change']({ target: input });
  };
  const list = () => field.children.find((c) => c.tagName === 'UL');
  return { sent, form, input, listeners, choose, list, live: byId['ecitiz-upload-status'] };
}

test('chosen files are sent one at a time, each alone, then the input is emptied', () => {
  const page = run();
  page.choose('a.pdf', 'b.png');
  assert.equal(page.input.value, '');
  assert.equal(page.input.required, false);
  assert.equal(page.sent.length, 1, 'the second waits for the first');
  const first = page.sent[0];
  assert.equal(first.method, 'POST');
  assert.equal(first.url, '/f/acme/aid-request/upload');
  const names = first.body.parts.map((p) => p[0]);
  assert.deepEqual(names, ['ticket', 'field', 'documents']);
  assert.equal(first.body.parts[2][1].name, 'a.pdf');
  first.answer(201, { key: 'K1', filename: 'a.pdf', field: 'documents' });
  assert.equal(page.sent.length, 2);
  assert.equal(page.sent[1].body.parts[2][1].name, 'b.png');
});

test('each file shows its progress, then a remove control for its key', () => {
  const page = run();
  page.choose('a.pdf');
  const item = page.list().children[0];
  const bar = item.children.find((c) => c.tagName === 'PROGRESS');
  assert.equal(page.live.textContent, 'Sending a.pdf…');
  page.sent[0].upload.onprogress({ lengthComputable: true, loaded: 1, total: 4 });
  assert.equal(bar.value, 25);
  page.sent[0].answer(201, { key: 'K1', filename: 'a.pdf', field: 'documents' });
  assert.ok(!item.children.includes(bar));
  const remove = item.children.find((c) => c.tagName === 'INPUT');
  assert.equal(remove.name, 'remove:K1');
  assert.equal(remove.attributes['aria-label'], 'Remove a.pdf');
  assert.equal(remove.attributes.formaction, '/f/acme/aid-request/remove');
  assert.equal(page.live.textContent, 'Sending a.pdf… a.pdf is attached.');
});

test('a refused file shows its own error, and the next one still goes', () => {
  const page = run();
  page.choose('bad.pdf', 'good.pdf');
  page.sent[0].answer(422, { error: 'Not really a PDF.' });
  const item = page.list().children[0];
  assert.equal(item.className, 'ecitiz-error');
  assert.match(item.children[1].textContent, /Not really a PDF\./);
  assert.match(page.live.textContent, /Not really a PDF\./);
  assert.equal(page.sent.length, 2);
  page.sent[1].answer(201, { key: 'K2', filename: 'good.pdf', field: 'documents' });
  assert.match(page.live.textContent, /Not really a PDF\..*good\.pdf is attached\./);
});

test('a form sent while files travel waits for them, then goes with its button', () => {
  const page = run();
  page.choose('a.pdf');
  let prevented = false;
  const submitter = { name: 'later' };
  page.listeners['form-submit']({ preventDefault: () => { prevented = true; }, submitter });
  assert.ok(prevented);
  assert.deepEqual(page.form.submitted, []);
  page.sent[0].answer(201, { key: 'K1', filename: 'a.pdf', field: 'documents' });
  assert.deepEqual(page.form.submitted, [submitter]);
  // Nothing travelling: a submit goes straight through.
  let again = false;
  page.listeners['form-submit']({ preventDefault: () => { again = true; } });
  assert.equal(again, false);
});
