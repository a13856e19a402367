// Reports page: show the parameters that the chosen report kind takes.
(function () {
  "use strict";
  var kind = document.getElementById("kind");
  if (!kind) { return; }
  function show(name, visible) {
    var el = document.querySelector('[data-param="' + name + '"]');
    if (el) { el.hidden = !visible; }
  }
  function sync() {
    var opt = kind.options[kind.selectedIndex];
    if (!opt) { return; }
    var member = opt.dataset.member === "1";
    show("member", member);
    show("branch", !member);
    show("period", opt.dataset.period !== "none");
    show("batch", opt.dataset.batch === "1");
    document.getElementById("kind-description").textContent = opt.dataset.description || "";
  }
  kind.addEventListener("change", sync);
  sync();
})();
