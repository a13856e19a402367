// Type-ahead for member fields: fills a <datalist data-source="…"> from a small JSON
// endpoint as the user types (never a drop-down of a whole roster).
(function () {
  document.querySelectorAll("input[list]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list || !list.dataset.source) return;
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q || q.indexOf("#") !== -1) return;
      timer = setTimeout(function () {
        fetch(list.dataset.source + "?q=" + encodeURIComponent(q), {credentials: "same-origin"})
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (rows) {
            list.replaceChildren();
            rows.forEach(function (row) {
              var opt = document.createElement("option");
              opt.value = row.label;
              list.appendChild(opt);
            });
          });
      }, 200);
    });
  });
})();
