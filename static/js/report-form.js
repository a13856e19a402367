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
    // 全部党支部 only for documents that allow it: not offered for the others.
    var scope = document.querySelector('[data-param="branch"]');
    var branch = document.getElementById("branch");
    if (scope && branch) {
      var all = branch.querySelector('option[value="' + scope.dataset.allValue + '"]');
      if (all) {
        all.disabled = opt.dataset.allBranches !== "1";
        all.hidden = all.disabled;
        if (all.disabled && branch.value === all.value) {
          var first = Array.prototype.find.call(branch.options, function (o) { return !o.disabled; });
          if (first) { branch.value = first.value; }
        }
      }
    }
  }
  kind.addEventListener("change", sync);
  sync();
})();
