/* ecitiz-kit frame helper: sizes the frame, reports events to the embedding
   page (only the origin the server checked) and applies fragment prefill. */
(function (w, d) {
  'use strict';
  var b = d.body, data = b.dataset, origin = data.ecitizOrigin;
  var id = data.ecitizEmbed, last = 0;
  var hash = new URLSearchParams(w.location.hash.slice(1));

  // Prefill: only fields the form marks prefillable, and only empty ones; the
  // server validates the values on submit like anything typed.
  hash.forEach(function (v, k) {
    if (!/^[a-z][a-z0-9_]{0,40}$/.test(k)) return;
    var all = d.querySelectorAll('[data-ecitiz-prefill][name="' + k + '"]'), i, f;
    for (i = 0; i < all.length; i++) {
      f = all[i];
      if (f.type === 'radio' || f.type === 'checkbox') {
        if (f.value === v) f.checked = true;
      } else if (!f.value) f.value = v.slice(0, 1000);
    }
  });

  // A form in steps: each post keeps the fragment (a form's action keeps it
  // through its post), so that the later pages are prefilled too.
  if (w.location.hash && d.querySelector('input[name="_steps"]')) {
    var posts = d.querySelectorAll('form[method="post"], [formaction]'), p, e;
    for (p = 0; p < posts.length; p++) {
      e = posts[p];
      if (e.tagName === 'FORM') e.action = e.action.split('#')[0] + w.location.hash;
      else e.formAction = e.formAction.split('#')[0] + w.location.hash;
    }
  }

  // Questions that apply only on some answers: hidden (so assistive technology
  // skips them) and disabled (so they are not sent) until they apply. Without
  // this script every question shows with its condition in words; either way
  // the server decides. A condition looks at an earlier question only, so one
  // pass in page order settles chains, and the focus (on that earlier
  // question) is never in what hides.
  var whens = d.querySelectorAll('[data-ecitiz-when]');
  function answer(name) {
    var all = d.querySelectorAll('[name="' + name + '"]'), v = null, i, f;
    for (i = 0; i < all.length; i++) {
      f = all[i];
      if (f.disabled) return null;
      if (f.type === 'checkbox') v = f.checked;
      else if (f.type !== 'radio' || f.checked) v = f.value;
    }
    return v;
  }
  function holds(c) {
    var v = answer(c.field), n;
    // A box ticked on an earlier page of a form in steps comes back as the
    // hidden value it sent (any text), not as a box.
    if (c.op === 'ticked') return (v === true || (typeof v === 'string' && v !== '')) === c.value;
    if (c.op === 'one_of') return c.value.indexOf(v) >= 0;
    n = String(v || '').replace(/[\s\u00a0\u202f€]/g, '').replace(',', '.');
    if (!n || isNaN(n)) return false;
    n = Number(n);
    v = Number(c.value);
    return c.op === 'greater_than' ? n > v : c.op === 'at_least' ? n >= v :
      c.op === 'less_than' ? n < v : n <= v;
  }
  function apply() {
    for (var i = 0, j, box, on, all; i < whens.length; i++) {
      box = whens[i];
      on = !box.parentNode.closest('[hidden]') &&
        holds(JSON.parse(box.getAttribute('data-ecitiz-when')));
      box.hidden = !on;
      all = box.querySelectorAll('input,select,textarea');
      for (j = 0; j < all.length; j++) {
        all[j].disabled = !on;
        if (all[j].hasAttribute('data-ecitiz-required')) all[j].required = true;
      }
    }
  }
  if (whens.length) {
    apply();
    d.addEventListener('input', apply);
    d.addEventListener('change', apply);
  }

  // Status mode: a tracking token in the fragment is looked up at once (POST,
  // so it stays out of query strings and server logs).
  var look = d.getElementById('f-link');
  if (look && !look.value && /^[\w.-]{10,400}$/.test(hash.get('token') || '')) {
    look.value = hash.get('token');
    look.form.submit();
    return;
  }

  var target = data.ecitizScroll && d.getElementById(data.ecitizScroll);
  if (!origin || !id || w.parent === w) {
    // A frame pasted without the loader cannot ask the host page to scroll:
    // after an answer it brings the new page's top (or its error summary)
    // into view itself, which scrolls the host page too (not on iOS).
    if (target && target.tabIndex === -1) target.focus({ preventScroll: true });
    if (data.ecitizScroll && w.parent !== w) (target || b).scrollIntoView();
    return;
  }

  function height() {
    return Math.ceil(d.documentElement.getBoundingClientRect().height);
  }
  function post(type, more) {
    var m = more || {};
    m.ecitiz = 1;
    m.type = type;
    m.id = id;
    m.height = last = height();
    w.parent.postMessage(m, origin);
  }
  function sync() {
    if (height() !== last) post('resize');
  }

  post('ready');
  if (data.ecitizEvent === 'submitted') {
    post('submitted', { reference: data.ecitizReference });
  } else if (data.ecitizEvent === 'error') {
    post('error', { reason: data.ecitizReason });
  }
  // iOS does not scroll into a frame: the host page scrolls to what matters.
  if (data.ecitizScroll) {
    if (target && target.tabIndex === -1) target.focus({ preventScroll: true });
    post('scroll', {
      top: target ? Math.round(target.getBoundingClientRect().top + w.scrollY) : 0
    });
  }
  if (w.ResizeObserver) new w.ResizeObserver(sync).observe(d.documentElement);
  w.addEventListener('load', sync);
})(window, document);
