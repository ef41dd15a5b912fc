/* ecitiz-kit embed loader: self-sizing, cookieless frames of the kit's forms. */
(function (w, doc) {
  'use strict';
  var SLUG = /^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$/;
  // Options a placeholder may carry, and their form; others are ignored. All
  // but lang and timeout (seconds a frame may stay silent) go to the frame.
  var HIDE = /^(hidden|shown)$/, OPT = {
    primary: /^#([0-9a-f]{3}){1,2}$/i, radius: /^(1?\d|2[0-4])$/, font: /^[a-z]{2,12}$/,
    heading: HIDE, languages: HIDE, lang: /^[a-z]{2}\b/i, timeout: /^\d{1,3}$/
  };
  var SEND = /^(primary|radius|font|heading|languages)$/;
  var OWN = /^(ecitiz(Form|Status|Counter|Id)|form|title|prefill|onSubmit)$/;
  var ns = w.ecitiz;
  if (ns && ns.scan) return ns.scan(); // loaded twice: the first loader does it
  var me = doc.currentScript || doc.querySelector('script[src*="/ecitiz.js"]');
  var kit = /^(https?:\/\/[^/]+)(.*?)\/widget\/([^/]+\/)?ecitiz\.js([?#].*)?$/
    .exec(me && me.src);
  if (!kit) return;
  var origin = kit[1].toLowerCase(), frames = [];
  ns = w.ecitiz = { scan: scan, frames: frames };

  // The frame's address for one placeholder, or '' when it is not valid.
  function address(x) {
    var d = x.el.dataset, name = d.ecitizForm || d.form, q = [], h = '', p, k, bad = [];
    if (name) {
      p = name.split('/');
      if (p.length !== 2 || !SLUG.test(p[0]) || !SLUG.test(p[1])) return '';
      x.org = p[0];
      p = '/f/' + name;
      if (d.prefill) {
        h = new URLSearchParams();
        new URLSearchParams(d.prefill).forEach(function (v, k) {
          if (/^[a-z][a-z0-9_]{0,40}$/.test(k) && v.length <= 500) h.append(k, v);
        });
        h = String(h);
      }
    } else if (SLUG.test(d.ecitizStatus || '')) {
      x.org = d.ecitizStatus;
      p = '/t/' + d.ecitizStatus;
      h = /(?:#|&)ecitiz=([\w.-]{10,400})(&|$)/.exec(w.location.hash);
      h = h ? 'token=' + h[1] : '';
    } else if (SLUG.test(d.ecitizCounter || '')) {
      x.org = d.ecitizCounter;
      p = '/c/' + x.org;
    } else return '';
    var lang = (d.lang || doc.documentElement.lang || '').slice(0, 2).toLowerCase();
    if (/^[a-z]{2}$/.test(lang)) q.push('lang=' + lang);
    for (k in d) {
      if (OPT[k] ? !OPT[k].test(d[k]) : !OWN.test(k)) bad.push('data-' + k.replace(/[A-Z]/g, '-$&').toLowerCase());
      else if (SEND.test(k)) q.push(k + '=' + encodeURIComponent(d[k]));
    }
    if (bad.length) w.console.warn('ecitiz: ignored ' + bad.join(', '));
    x.wait = (OPT.timeout.test(d.timeout) ? d.timeout : 8) * 1000;
    q.push('origin=' + encodeURIComponent(w.location.origin), 'embed=' + x.id);
    return kit[1] + kit[2] + p + '?' + q.join('&') + (h && '#' + h);
  }

  function place(el) {
    if (el.hasAttribute('data-ecitiz-id')) return;
    var x = { id: 'ecitiz-' + frames.length, el: el }, src = address(x), f;
    el.setAttribute('data-ecitiz-id', src ? x.id : 'invalid');
    if (!src) return;
    f = x.frame = doc.createElement('iframe');
    f.src = src;
    var d = el.dataset;
    f.title = d.title || el.textContent.trim() || d.ecitizForm || d.form || d.ecitizStatus || d.ecitizCounter;
    f.setAttribute('loading', 'lazy');
    f.style.cssText = 'width:100%;border:0;height:480px';
    frames.push(x);
    // The wait starts once the frame loaded: a lazy frame may load much later.
    f.addEventListener('load', function () {
      if (!x.timer) x.timer = w.setTimeout(refused, x.wait, x);
    });
    if (el.tagName === 'SCRIPT') el.parentNode.insertBefore(f, el.nextSibling);
    else el.insertBefore(f, el.firstChild);
  }

  function scan() {
    var all = doc.querySelectorAll('[data-ecitiz-form],[data-ecitiz-status],[data-ecitiz-counter],script[data-form]');
    for (var i = 0; i < all.length; i++) place(all[i]);
  }

  // A frame that never says hello was refused (this page's origin is not
  // allowed): keep the fallback link only, and say in the console why.
  function refused(x) {
    if (x.ready) return;
    x.frame.remove();
    w.console.warn('ecitiz: ' + w.location.origin + ' may not show the forms of ' + x.org +
      '; allow it with: ecitiz allow-origin ' + x.org + ' ' + w.location.origin);
  }

  function fire(x, type, detail) {
    x.el.dispatchEvent(new w.CustomEvent('ecitiz:' + type, { bubbles: true, detail: detail }));
  }

  w.addEventListener('message', function (e) {
    var m = e.data, x, i, detail;
    if (e.origin !== origin || !m || m.ecitiz !== 1) return;
    for (i = 0; i < frames.length; i++) {
      if (frames[i].frame.contentWindow === e.source) x = frames[i];
    }
    if (!x || m.id !== x.id) return;
    if (m.height > 0 && m.height < 1e5) x.frame.style.height = Math.ceil(m.height) + 'px';
    detail = { form: x.el.dataset.ecitizForm || x.el.dataset.form || null, id: x.id };
    if (m.type === 'scroll' && typeof m.top === 'number' && m.top >= 0) {
      w.scrollTo(0, x.frame.getBoundingClientRect().top + w.pageYOffset + m.top - 16);
    } else if (m.type === 'ready') {
      x.ready = true;
      for (i = 0; i < x.el.children.length; i++) {
        if (x.el.children[i] !== x.frame) x.el.children[i].hidden = true;
      }
      fire(x, 'ready', detail);
    } else if (m.type === 'submitted' && /^[A-Z0-9-]{1,40}$/.test(m.reference)) {
      detail.reference = m.reference;
      fire(x, 'submitted', detail);
      i = w[x.el.dataset.onSubmit];
      if (typeof i === 'function') i(detail);
    } else if (m.type === 'error') {
      detail.reason = /^[a-z]{1,20}$/.test(m.reason) ? m.reason : 'unknown';
      fire(x, 'error', detail);
    }
  });
  scan();
  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', scan);
})(window, document);
