// Polls an import batch's status URL and updates the progress bar until the batch finishes.
(function () {
  "use strict";
  var section = document.querySelector(".import-status");
  if (!section) { return; }
  var url = section.getAttribute("data-status-url");
  var bar = document.getElementById("import-progress");
  var state = document.getElementById("import-state");
  var message = document.getElementById("import-message");
  var table = document.getElementById("import-errors");
  var links = document.getElementById("import-error-links");
  var finished = ["loaded", "rejected", "failed", "superseded"];
  // The batch page shows the error summary once the batch is done: it reloads itself then.
  var reloadWhenDone = section.getAttribute("data-finished") === "0";
  var rowsRead = section.getAttribute("data-rows-read") || "rader lästa";
  var locale = document.documentElement.lang === "en" ? "en-GB" : "sv-SE";

  function render(data) {
    bar.value = data.progress;
    bar.textContent = data.progress + " %";
    state.textContent = data.status_display + (data.rows_read ? " – " + Number(data.rows_read).toLocaleString(locale) + " " + rowsRead : "");
    message.textContent = data.message || "";
    var body = table.querySelector("tbody");
    body.textContent = "";
    (data.row_errors || []).forEach(function (e) {
      var tr = document.createElement("tr");
      [e.row_number, e.column, e.value, e.reason].forEach(function (v) {
        var td = document.createElement("td");
        td.textContent = v;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    table.hidden = !(data.row_errors && data.row_errors.length);
    links.hidden = !data.rows_rejected;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        render(data);
        if (finished.indexOf(data.status) === -1) { window.setTimeout(poll, 1000); }
        else if (reloadWhenDone && (data.rows_rejected || data.needs_confirmation)) { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
