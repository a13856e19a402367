// Export centre: start the download of a document just generated (the link marked
// data-auto-download); the link stays on the page in case the browser blocks it.
(function () {
  "use strict";
  var link = document.querySelector("a[data-auto-download]");
  if (!link) { return; }
  window.location.assign(link.href);
})();
