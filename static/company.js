/* Company details from the SIRET, on a form page: once the SIRET typed is
 * valid, asks the kit what the register says and offers to fill the company's
 * fields; the applicant confirms, then checks or edits them. Without this
 * script the "look up" button posts the form and the server fills them. */
'use strict';
(function (d) {
  var TIMEOUT_MS = 5000;
  var button = d.querySelector('button[data-ecitiz-company]');
  if (!button || !window.fetch || !window.URLSearchParams) return;
  var input = d.getElementById(button.getAttribute('data-ecitiz-siret'));
  var box = d.getElementById('c-' + button.value);
  if (!input || !box) return;
  var url = button.getAttribute('data-ecitiz-company');
  var asked = null; // the last SIRET asked about
  var round = 0; // a newer lookup makes an older answer stale

  // The check python-stdnum runs: the Luhn key, or La Poste's rule.
  function validSiret(digits) {
    if (!/^[0-9]{14}$/.test(digits)) return false;
    var sum = 0, i, n;
    if (digits.slice(0, 9) === '356000000') {
      for (i = 0; i < 14; i++) sum += +digits[i];
      return sum % 5 === 0;
    }
    for (i = 0; i < 14; i++) {
      n = +digits[13 - i];
      if (i % 2 === 1) n = n * 2 > 9 ? n * 2 - 9 : n * 2;
      sum += n;
    }
    return sum % 10 === 0;
  }

  function text(name, values) {
    var said = box.getAttribute('data-' + name) || '';
    return said.replace('%(name)s', values && values.name ? values.name : '');
  }

  function say(lines, offer) {
    var parts = lines.map(function (line) {
      var p = d.createElement('p');
      p.className = 'ecitiz-note';
      p.textContent = line;
      return p;
    });
    if (offer) parts.push(offer);
    box.replaceChildren.apply(box, parts);
  }

  function fill(fields) {
    var form = input.form, first = null;
    Object.keys(fields).forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (!field || field.tagName === 'BUTTON' || !('value' in field)) return;
      field.value = String(fields[name]).slice(0, 1000);
      if (!first) first = field;
    });
    say([text('filled')]);
    if (first) first.focus();
  }

  function offer(answer) {
    var lines = [text('found', answer)];
    if (answer.active === false) lines.push(text('ceased'));
    var fields = answer.fields || {};
    if (!Object.keys(fields).length) return say(lines);
    var confirm = d.createElement('button');
    confirm.type = 'button';
    confirm.className = 'ecitiz-button ecitiz-button--secondary';
    confirm.textContent = text('fill');
    confirm.addEventListener('click', function () {
      fill(fields);
    });
    say(lines, confirm);
  }

  function ask(digits) {
    var mine = ++round;
    asked = digits;
    say([text('checking')]);
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = controller && setTimeout(function () {
      controller.abort();
    }, TIMEOUT_MS);
    var query = new URLSearchParams({siret: digits}).toString();
    fetch(url + (url.indexOf('?') < 0 ? '?' : '&') + query, {
      cache: 'no-store',
      credentials: 'omit',
      headers: {Accept: 'application/json'},
      signal: controller ? controller.signal : undefined
    })
      .then(function (response) {
        return response.ok ? response.json() : {state: 'unavailable'};
      })
      .catch(function () {
        return {state: 'unavailable'};
      })
      .then(function (answer) {
        clearTimeout(timer);
        if (mine !== round) return;
        if (answer && answer.state === 'found') offer(answer);
        else if (answer && answer.state === 'unknown') say([text('unknown')]);
        else say([text('unavailable')]);
      });
  }

  function digitsTyped() {
    return input.value.replace(/[\s.]/g, '');
  }

  function typed() {
    var digits = digitsTyped();
    if (digits !== asked && validSiret(digits)) ask(digits);
  }

  input.addEventListener('input', typed);
  // Typed before this script ran (a slow connection): asked about now. A value
  // the page came back with was looked up already, or is the applicant's own.
  if (input.value !== input.defaultValue) typed();
  button.addEventListener('click', function (event) {
    var digits = digitsTyped();
    // An invalid number goes to the server, which says what is wrong with it.
    if (!validSiret(digits)) return;
    event.preventDefault();
    ask(digits);
  });
})(document);
