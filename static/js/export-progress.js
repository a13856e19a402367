// Export detail page: poll the status JSON until the document is stored or failed,
// then reload to show the download link (or the error).
(function () {
  "use strict";
  var box = document.getElementById("export-status");
  if (!box || box.dataset.finished === "1") { return; }
  var bar = document.getElementById("progress-bar");
  var label = document.getElementById("status-label");
  var notice = document.getElementById("scheduler-notice");
  function poll() {
    fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.status === "done") {
          // Reload with ?download=1: the page then starts the download itself.
          var url = new URL(window.location.href);
          url.searchParams.set("download", "1");
          window.location.replace(url.toString());
          return;
        }
        if (s.status === "failed") { window.location.reload(); return; }
        bar.style.width = s.progress + "%";
        bar.textContent = s.progress + "%";
        bar.parentElement.setAttribute("aria-valuenow", s.progress);
        label.textContent = s.status_label;
        // A worker has picked the export up: the "not running" notice is out of date.
        if (notice && s.status !== "pending") { notice.hidden = true; }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 700);
})();
