/* ecitiz-kit embed loader: self-sizing, cookieless frames of the kit's forms. */
(function (w, doc) {
  'use strict';
  var SLUG = /^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$/;
  // A frame that has not said hello this long after it loaded was refused
  // (the page's origin is not allowed): the loader removes it. data-timeout
  // (seconds) changes it for one placeholder.
  var TIMEOUT = 8;
  // Every data attribute a placeholder may carry (dataset names); any other is
  // ignored, with one console line.
  var KNOWN = ['ecitizForm', 'ecitizStatus', 'ecitizId', 'form', 'title', 'lang',
    'primary', 'radius', 'font', 'prefill', 'onSubmit', 'heading',
    'languageSwitch', 'timeout'];
  var HIDDEN = { heading: 'heading', languageSwitch: 'languages' };
  var ns = w.ecitiz;
  if (ns && ns.scan) return ns.scan(); // loaded twice: the first loader does it
  var me = doc.currentScript || doc.querySelector('script[src*="/ecitiz.js"]');
  var kit = /^(https?:\/\/[^/]+)(.*?)\/widget\/([^/]+\/)?ecitiz\.js([?#].*)?$/
    .exec(me && me.src);
  if (!kit) return;
  var origin = kit[1].toLowerCase(), frames = [];
  ns = w.ecitiz = { scan: scan, frames: frames };

  // The frame's address for one placeholder, or '' when it is not valid.
  function address(el, id, ignored) {
    var d = el.dataset, name = d.ecitizForm || d.form, q = [], h = '', p, k;
    if (name) {
      p = name.split('/');
      if (p.length !== 2 || !SLUG.test(p[0]) || !SLUG.test(p[1])) return '';
      p = '/f/' + name;
      if (d.prefill) {
        h = new URLSearchParams();
        new URLSearchParams(d.prefill).forEach(function (v, k) {
          if (/^[a-z][a-z0-9_]{0,40}$/.test(k) && v.length <= 500) h.append(k, v);
        });
        h = String(h);
      }
    } else if (SLUG.test(d.ecitizStatus)) {
      p = '/t/' + d.ecitizStatus;
      h = /(?:#|&)ecitiz=([\w.-]{10,400})(&|$)/.exec(w.location.hash);
      h = h ? 'token=' + h[1] : '';
    } else return '';
    // Each option is used only when present and well formed; else ignored.
    function option(key, pattern, test) {
      var v = d[key];
      if (v === undefined) return false;
      if (pattern.test(v) && (!test || test(v))) return true;
      ignored.push('data-' + key.replace(/[A-Z]/g, '-$&').toLowerCase() + '="' + v + '"');
      return false;
    }
    for (k in d) {
      if (KNOWN.indexOf(k) < 0) ignored.push('data-' + k.replace(/[A-Z]/g, '-$&').toLowerCase());
    }
    var lang = option('lang', /^[a-z]{2}([-_][a-z0-9]{1,8})*$/i) ? d.lang
      : doc.documentElement.lang || '';
    lang = lang.slice(0, 2).toLowerCase();
    if (/^[a-z]{2}$/.test(lang)) q.push('lang=' + lang);
    if (option('primary', /^#([0-9a-f]{3}){1,2}$/i)) q.push('primary=%23' + d.primary.slice(1));
    if (option('radius', /^\d{1,2}$/, function (v) { return v <= 24; })) q.push('radius=' + d.radius);
    if (option('font', /^[a-z]{2,12}$/)) q.push('font=' + d.font);
    for (k in HIDDEN) if (option(k, /^(hidden|shown)$/) && d[k] === 'hidden') q.push(HIDDEN[k] + '=hidden');
    option('timeout', /^\d{1,3}$/);
    q.push('origin=' + encodeURIComponent(w.location.origin), 'embed=' + id);
    return kit[1] + kit[2] + p + '?' + q.join('&') + (h && '#' + h);
  }

  function place(el) {
    if (el.hasAttribute('data-ecitiz-id')) return;
    var id = 'ecitiz-' + frames.length, ignored = [], src = address(el, id, ignored), f, x;
    el.setAttribute('data-ecitiz-id', src ? id : 'invalid');
    if (!src) return;
    if (ignored.length) w.console.warn('ecitiz: ignored ' + ignored.join(', ') + ' (unknown or malformed)');
    f = doc.createElement('iframe');
    f.src = src;
    var d = el.dataset;
    f.title = d.title || el.textContent.trim() || d.ecitizForm || d.form || d.ecitizStatus;
    f.setAttribute('loading', 'lazy');
    f.style.cssText = 'width:100%;border:0;height:480px';
    x = { id: id, el: el, frame: f, ready: false };
    frames.push(x);
    // The wait starts when the frame loaded (a lazy frame may load much later).
    f.addEventListener('load', function () {
      if (x.timer || x.ready) return;
      var s = /^\d{1,3}$/.test(d.timeout) ? +d.timeout : TIMEOUT;
      x.timer = w.setTimeout(function () { refused(x); }, s * 1000);
    });
    if (el.tagName === 'SCRIPT') el.parentNode.insertBefore(f, el.nextSibling);
    else el.insertBefore(f, el.firstChild);
  }

  function scan() {
    var all = doc.querySelectorAll('[data-ecitiz-form],[data-ecitiz-status],script[data-form]');
    for (var i = 0; i < all.length; i++) place(all[i]);
  }

  // The frame never said hello: its page refused this site. Keep the fallback
  // link only, and say in the console what would let the form show.
  function refused(x) {
    if (x.ready || !x.frame.parentNode) return;
    x.frame.parentNode.removeChild(x.frame);
    for (var i = 0; i < x.el.children.length; i++) x.el.children[i].hidden = false;
    var org = (x.el.dataset.ecitizForm || x.el.dataset.form || x.el.dataset.ecitizStatus).split('/')[0];
    w.console.warn('ecitiz: this page\'s origin ' + w.location.origin + ' may not embed the forms of ' +
      org + '; allow it with: ecitiz allow-origin ' + org + ' ' + w.location.origin);
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
