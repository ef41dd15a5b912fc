/* The attestation check on /v: reads the payload after "#", verifies its Ed25519
 * signature against the keys embedded in the page (so it works offline once loaded),
 * then asks the server, when it can, whether the serial was revoked.
 * Payload format and verdict order: the documents contract (signing.py mirrors it). */
'use strict';
(function () {
  var ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  var TYPES = ['ATT'];
  var MAX_PAYLOAD = 512;
  var SIGNATURE_CHARS = 86;
  var MAX_NAME_BYTES = 40;
  var STATUS_TIMEOUT_MS = 8000;
  // Built at run time: a browser without Unicode property escapes (and so without
  // Ed25519 either) must still reach the "unsupported" message, not a syntax error.
  var INVISIBLE = null;

  var script = document.currentScript;
  var verdictBox = document.getElementById('verdict');
  var claimsList = document.getElementById('claims');
  if (!script || !verdictBox || !claimsList) return;
  var keys = readJson('ecitiz-keys') || [];
  var texts = readJson('ecitiz-texts') || {};
  var statusUrl = script.getAttribute('data-status-url');
  var round = 0; // a newer check makes the answers of an older one stale
  var shown = false; // whether this script replaced the server's verdict

  function readJson(id) {
    var element = document.getElementById(id);
    try {
      return element ? JSON.parse(element.textContent) : null;
    } catch (error) {
      return null;
    }
  }

  // --- parsing (anything malformed is "forged") ---------------------------------

  function isCode(text, length) {
    if (text.length !== length) return false;
    for (var i = 0; i < text.length; i++) {
      if (ALPHABET.indexOf(text[i]) < 0) return false;
    }
    return true;
  }

  function parseDate(text) {
    if (!/^[0-9]{8}$/.test(text)) return null;
    var year = +text.slice(0, 4);
    var month = +text.slice(4, 6);
    var day = +text.slice(6);
    var date = new Date(2000, month - 1, day);
    date.setFullYear(year); // years below 100 would otherwise mean 19xx
    if (date.getMonth() !== month - 1 || date.getDate() !== day || year < 1) {
      return null;
    }
    return date;
  }

  // Canonical unpadded base64url only: one set of bytes has one spelling.
  function decodeB64url(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
    var binary;
    try {
      binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    } catch (error) {
      return null;
    }
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return encodeB64url(binary) === text ? bytes : null;
  }

  function encodeB64url(binary) {
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // The same test as signing._holder_ok: what a genuine issuer signs is NFC, has no
  // control or invisible characters (joiners apart) and single plain spaces.
  function holderOk(holder, size) {
    if (size < 1 || size > MAX_NAME_BYTES) return false;
    if (holder.normalize('NFC') !== holder) return false;
    if (INVISIBLE.test(holder.replace(/[\u200c\u200d]/g, ''))) return false;
    return !/[^\S ]|^ | $| {2}/.test(holder);
  }

  function parse(payload) {
    if (payload.length > MAX_PAYLOAD || !/^[\x00-\x7f]*$/.test(payload)) return null;
    var parts = payload.split('.');
    if (parts.length !== 8) return null;
    if (parts[0] !== '1' || TYPES.indexOf(parts[3]) < 0) return null;
    if (!isCode(parts[1], 4) || !isCode(parts[2], 10)) return null;
    var from = parseDate(parts[5]);
    var to = parseDate(parts[6]);
    if (!from || !to || parts[6] < parts[5]) return null;
    var name = decodeB64url(parts[4]);
    if (!name) return null;
    var holder;
    try {
      holder = new TextDecoder('utf-8', {fatal: true}).decode(name);
    } catch (error) {
      return null;
    }
    if (!holderOk(holder, name.length)) return null;
    if (parts[7].length !== SIGNATURE_CHARS) return null;
    var signature = decodeB64url(parts[7]);
    if (!signature || signature.length !== 64) return null;
    return {
      kid: parts[1],
      serial: parts[2],
      holder: holder,
      from: parts[5],
      to: parts[6],
      fromDate: from,
      toDate: to,
      signed: new TextEncoder().encode(payload.slice(0, -(SIGNATURE_CHARS + 1))),
      signature: signature
    };
  }

  // --- checking ---------------------------------------------------------------------

  function Unsupported() {}

  function findKey(kid) {
    for (var i = 0; i < keys.length; i++) {
      if (keys[i] && keys[i].kid === kid) return keys[i];
    }
    return null;
  }

  function importKey(published) {
    var raw = typeof published.public_key === 'string' &&
      decodeB64url(published.public_key);
    if (!raw || raw.length !== 32) return Promise.resolve(null);
    return crypto.subtle
      .importKey('raw', raw, {name: 'Ed25519'}, false, ['verify'])
      .catch(function (error) {
        if (error && error.name === 'NotSupportedError') throw new Unsupported();
        return null; // a key that cannot be loaded counts as not published
      });
  }

  function localToday() {
    var now = new Date();
    return String(now.getFullYear()).padStart(4, '0') +
      String(now.getMonth() + 1).padStart(2, '0') +
      String(now.getDate()).padStart(2, '0');
  }

  function datedVerdict(claims) {
    var today = localToday();
    if (today < claims.from) return 'not-yet-valid';
    if (today > claims.to) return 'expired';
    return 'valid';
  }

  // Steps 1 to 3 and 5 of the contract, offline: {verdict, claims, issuer}.
  function checkOffline(payload) {
    var claims = parse(payload);
    if (!claims) return Promise.resolve({verdict: 'forged'});
    var published = findKey(claims.kid);
    if (!published) return Promise.resolve({verdict: 'unknown-key'});
    return importKey(published).then(function (key) {
      if (!key) return {verdict: 'unknown-key'};
      return crypto.subtle
        .verify({name: 'Ed25519'}, key, claims.signature, claims.signed)
        .then(function (genuine) {
          if (!genuine) return {verdict: 'forged'};
          return {
            verdict: datedVerdict(claims),
            claims: claims,
            issuer: published.issuer || ''
          };
        });
    });
  }

  // Step 4: true/false once the server answered, null when it could not be asked.
  function askRevoked(serial) {
    if (!statusUrl || navigator.onLine === false) return Promise.resolve(null);
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = controller && setTimeout(function () {
      controller.abort();
    }, STATUS_TIMEOUT_MS);
    var url = statusUrl.replace('SERIAL', encodeURIComponent(serial));
    return fetch(url, {
      cache: 'no-store',
      credentials: 'omit',
      signal: controller ? controller.signal : undefined
    })
      .then(function (response) {
        // A serial the server never issued (but signed with its key) is not revoked,
        // as the server's own check says.
        if (response.status === 404) return false;
        if (!response.ok) return null;
        return response.json().then(function (answer) {
          return answer && typeof answer.revoked === 'boolean' ? answer.revoked : null;
        });
      })
      .catch(function () {
        return null;
      })
      .then(function (revoked) {
        clearTimeout(timer);
        return revoked;
      });
  }

  // --- showing ------------------------------------------------------------------------

  function paragraph(text) {
    var p = document.createElement('p');
    p.className = 'ecitiz-verdict-text';
    p.textContent = text;
    return p;
  }

  function say(verdict, lines) {
    verdictBox.replaceChildren.apply(verdictBox, lines.map(paragraph));
    verdictBox.className = 'ecitiz-verdict' +
      (verdict ? ' ecitiz-verdict--' + verdict : '');
    if (verdict) verdictBox.setAttribute('data-verdict', verdict);
    else verdictBox.removeAttribute('data-verdict');
    shown = true;
  }

  function setClaim(name, value) {
    var cell = claimsList.querySelector('[data-claim="' + name + '"]');
    if (cell) cell.textContent = value;
  }

  function hideClaims() {
    claimsList.hidden = true;
    ['holder', 'issuer', 'valid_from', 'valid_to', 'serial'].forEach(function (name) {
      setClaim(name, '');
    });
  }

  function showClaims(result) {
    var claims = result.claims;
    var format;
    try {
      format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
        dateStyle: 'long'
      });
    } catch (error) {
      format = new Intl.DateTimeFormat(undefined, {dateStyle: 'long'});
    }
    setClaim('holder', claims.holder);
    setClaim('issuer', result.issuer);
    setClaim('valid_from', format.format(claims.fromDate));
    setClaim('valid_to', format.format(claims.toDate));
    setClaim('serial', claims.serial.slice(0, 5) + '-' + claims.serial.slice(5));
    claimsList.hidden = false;
  }

  function show(result, offline) {
    var lines = [(texts[result.verdict] || result.verdict)
      .replace('%(issuer)s', result.issuer || '')];
    if (offline) lines.push(texts.offline || '');
    say(result.verdict, lines);
    // Only what the signature vouches for is ever shown.
    if (result.claims) showClaims(result);
    else hideClaims();
  }

  function unsupported() {
    hideClaims();
    say(null, [verdictBox.getAttribute('data-unsupported') || '']);
  }

  function payloadFrom(text) {
    var at = text.indexOf('#');
    // A payload has no whitespace; a code copied from a PDF may be wrapped.
    return (at >= 0 ? text.slice(at + 1) : text).replace(/\s+/g, '');
  }

  function check() {
    var payload = payloadFrom(location.hash);
    var mine = ++round;
    if (!payload) {
      if (shown) {
        hideClaims();
        say(null, []);
      }
      return;
    }
    hideClaims();
    say(null, [texts.checking || '']);
    checkOffline(payload)
      .then(function (result) {
        if (mine !== round) return null;
        if (!result.claims) return show(result, false);
        return askRevoked(result.claims.serial).then(function (revoked) {
          if (mine !== round) return;
          if (revoked === true) result.verdict = 'revoked';
          show(result, revoked === null);
        });
      })
      .catch(function (error) {
        if (mine !== round) return;
        if (error instanceof Unsupported) unsupported();
        else show({verdict: 'forged'}, false);
      });
  }

  function hasEd25519Api() {
    try {
      INVISIBLE = new RegExp('[\\p{Cc}\\p{Cs}\\p{Cf}]', 'u');
    } catch (error) {
      return false;
    }
    return !!(window.crypto && crypto.subtle && window.TextDecoder &&
      window.Promise && String.prototype.normalize && String.prototype.padStart &&
      Element.prototype.replaceChildren);
  }

  if (!hasEd25519Api()) {
    // The paste form still works: the server checks the code.
    if (location.hash.length > 1) unsupported();
    return;
  }

  // A pasted code is checked here too: it then never leaves the device.
  var form = document.querySelector('form[data-local-check]');
  if (form) {
    form.addEventListener('submit', function (event) {
      var field = form.querySelector('textarea[name="code"]');
      var payload = field ? payloadFrom(field.value) : '';
      if (!payload) return;
      event.preventDefault();
      if (payloadFrom(location.hash) === payload) check();
      else location.hash = payload;
      verdictBox.scrollIntoView({block: 'nearest'});
    });
  }

  window.addEventListener('hashchange', check);
  check();
})();
