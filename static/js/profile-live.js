// The profile form's preview follows the answers: on every change the form is posted to the
// preview endpoint and its answer (the date formats that read the chosen date columns, and the
// sample as it will be read) replaces those parts of the page. Without script the form's own
// "show the sample" button does the same with a page load.
(function () {
  "use strict";
  var form = document.getElementById("profile-form");
  if (!form || !form.getAttribute("data-preview-url") || !window.fetch || !window.DOMParser) { return; }
  var url = form.getAttribute("data-preview-url");
  var note = document.getElementById("profile-live-note");
  var timer = null;
  var running = null;
  var asked = 0;
  if (note) { note.hidden = false; }

  // The date formats offered change with the date columns; the select keeps its place and focus.
  function replaceDateFormats(fresh) {
    var select = document.getElementById("id_date_format");
    var freshSelect = fresh.querySelector("#id_date_format");
    if (!select || !freshSelect) { return; }
    var wanted = select.value;
    var options = Array.prototype.map.call(freshSelect.options, function (o) { return o.value + "\u0000" + o.text; });
    var current = Array.prototype.map.call(select.options, function (o) { return o.value + "\u0000" + o.text; });
    if (options.join("\u0001") === current.join("\u0001")) { return; }
    select.textContent = "";
    Array.prototype.forEach.call(freshSelect.options, function (o) {
      select.appendChild(new Option(o.text, o.value));
    });
    var still = Array.prototype.some.call(select.options, function (o) { return o.value === wanted; });
    select.value = still ? wanted : "";
  }

  function refresh() {
    var number = ++asked;
    if (running) { running.abort(); }
    running = window.AbortController ? new AbortController() : null;
    form.setAttribute("aria-busy", "true");
    fetch(url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      signal: running ? running.signal : undefined
    }).then(function (response) {
      return response.text();
    }).then(function (html) {
      if (number !== asked) { return; }
      var fresh = new DOMParser().parseFromString(html, "text/html");
      replaceDateFormats(fresh);
      var preview = document.getElementById("profile-preview");
      var freshPreview = fresh.getElementById("profile-preview");
      if (preview && freshPreview) {
        preview.replaceWith(document.importNode(freshPreview, true));
      }
      form.setAttribute("data-previews", String(number));
      form.removeAttribute("aria-busy");
    }).catch(function () {
      form.removeAttribute("aria-busy");  // aborted by a newer change, or offline: the button still works
    });
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, delay);
  }

  form.addEventListener("change", function () { schedule(150); });
  form.addEventListener("input", function (event) {
    if (event.target && event.target.tagName === "INPUT") { schedule(600); }  // typing: wait for a pause
  });
})();
