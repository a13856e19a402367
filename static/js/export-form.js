// Export centre: show only the fields the chosen kind of document takes.
(function () {
  "use strict";
  var kind = document.getElementById("kind");
  if (!kind) { return; }
  function sync() {
    var opt = kind.options[kind.selectedIndex];
    if (!opt) { return; }
    var member = opt.dataset.member === "1";
    var period = opt.dataset.period;
    document.querySelector('[data-param="member"]').hidden = !member;
    document.querySelector('[data-param="branch"]').hidden = member;
    document.querySelector('[data-param="period"]').hidden = period === "none";
    document.querySelector('[data-param="batch"]').hidden = opt.dataset.batch !== "1";
    document.getElementById("kind-description").textContent = opt.dataset.description || "";
  }
  kind.addEventListener("change", sync);
  sync();
})();
