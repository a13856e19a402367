// Behaviour that used to sit in on*= attributes (the CSP allows no inline script):
//   <select data-autosubmit>    submits its form when changed
//   <button data-print>         prints the page
//   <form data-confirm="...">   asks before submitting
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) { el.form.submit(); }
  });
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-print]");
    if (el) { event.preventDefault(); window.print(); }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();
// <input type="checkbox" data-check-all="NAME">  ticks or clears every checkbox named NAME
// in its form (a list's "全选").
document.addEventListener("change", function (event) {
  "use strict";
  var el = event.target;
  var name = el.getAttribute && el.getAttribute("data-check-all");
  if (!name || !el.form) { return; }
  el.form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
    box.checked = el.checked;
  });
});
