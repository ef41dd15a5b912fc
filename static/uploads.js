/* ecitiz-kit form uploads: with a script, each file is sent alone as soon as it
   is chosen, with its own progress bar and its own error, and kept by the server
   for this form's ticket; without one, the form sends them at the first submit. */
'use strict';
(function (w, d) {
  var form = d.querySelector('form[data-ecitiz-upload]');
  if (!form || !w.XMLHttpRequest || !w.FormData) return;
  var data = form.dataset;
  var live = d.getElementById('ecitiz-upload-status');

  // What the live region says about the files chosen last: each file's outcome
  // is added, so that an error is not replaced by the next file's news.
  var said = [];
  function say(text, fresh) {
    if (fresh) said = [];
    said.push(text);
    if (live) live.textContent = said.join(' ');
  }
  function named(template, name) {
    return template.split('{name}').join(name);
  }
  function listFor(input) {
    var id = 'n-' + input.name;
    var list = d.getElementById(id);
    if (!list || list.tagName !== 'UL') {
      list = d.createElement('ul');
      list.className = 'ecitiz-kept';
      list.id = id;
      list.setAttribute('aria-label', data.ecitizTextList);
      input.parentNode.insertBefore(list, input);
    }
    return list;
  }
  function removeControl(key, name) {
    var remove = d.createElement('input');
    remove.type = 'submit';
    remove.className = 'ecitiz-button ecitiz-button--secondary';
    remove.name = 'remove:' + key;
    remove.value = data.ecitizTextRemove;
    remove.setAttribute('aria-label', named(data.ecitizTextRemoveName, name));
    remove.setAttribute('formaction', data.ecitizRemove);
    remove.formNoValidate = true;
    return remove;
  }

  function send(input, file, done) {
    var item = d.createElement('li');
    var label = d.createElement('span');
    var bar = d.createElement('progress');
    var note = d.createElement('span');
    label.textContent = file.name;
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute('aria-label', named(data.ecitizTextSending, file.name));
    item.appendChild(label);
    item.appendChild(bar);
    item.appendChild(note);
    listFor(input).appendChild(item);

    var body = new w.FormData();
    body.append('ticket', form.elements.ticket.value);
    if (form.elements.draft) body.append('draft', form.elements.draft.value);
    body.append('field', input.name);
    body.append(input.name, file, file.name);
    var xhr = new w.XMLHttpRequest();
    xhr.open('POST', data.ecitizUpload);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
    };
    xhr.onload = function () {
      var answer = {};
      try {
        answer = JSON.parse(xhr.responseText);
      } catch (err) {
        answer = {};
      }
      item.removeChild(bar);
      if (xhr.status === 201 && answer.key) {
        label.textContent = answer.filename;
        item.appendChild(d.createTextNode(' '));
        item.appendChild(removeControl(answer.key, answer.filename));
        say(named(data.ecitizTextKept, answer.filename));
      } else {
        fail(answer.error);
      }
      done();
    };
    xhr.onerror = function () {
      item.removeChild(bar);
      fail('');
      done();
    };
    function fail(message) {
      item.className = 'ecitiz-error';
      note.textContent = ' ' + (message || data.ecitizTextFailed);
      say(note.textContent);
    }
    xhr.send(body);
  }

  // A form sent while files are still on their way waits for them: they are
  // no longer in their input, and the request needs them.
  var pending = 0, waiting = null;
  form.addEventListener('submit', function (e) {
    if (!pending) return;
    e.preventDefault();
    waiting = e.submitter || null;
  });
  function settled() {
    pending -= 1;
    if (pending || !waiting) return;
    var submitter = waiting;
    waiting = null;
    if (form.requestSubmit) form.requestSubmit(submitter);
    else form.submit();
  }

  function chosen(e) {
    var input = e.target;
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) return;
    // The files go one by one; the input is emptied so the form does not send
    // them a second time.
    input.value = '';
    input.required = false;
    pending += files.length;
    say(named(data.ecitizTextSending, files[0].name), true);
    (function next() {
      var file = files.shift();
      if (file) send(input, file, function () {
        settled();
        next();
      });
    })();
  }

  var inputs = form.querySelectorAll('input[type=file]');
  for (var i = 0; i < inputs.length; i++) inputs[i].addEventListener('change', chosen);
})(window, document);
