// Model-post ratings: the rater type-ahead and the radar chart (no inline script: CSP).
(function () {
  "use strict";

  // Type-ahead: fill the <datalist> from the small JSON endpoint as the name is typed.
  document.querySelectorAll("input[data-lookup]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var group = input.form && input.form.querySelector("select[name=group]");
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.split("（")[0].trim();
      if (!q) { return; }
      timer = setTimeout(function () {
        var url = input.dataset.lookup + "&q=" + encodeURIComponent(q) +
          "&group=" + encodeURIComponent(group ? group.value : "");
        fetch(url, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (rows) {
            list.textContent = "";
            rows.forEach(function (row) {
              var option = document.createElement("option");
              option.value = row.label;
              list.appendChild(option);
            });
          });
      }, 200);
    });
  });

  // Radar chart of one post's criterion scores (0–100), chosen in the select.
  var box = document.getElementById("radar");
  if (box && window.echarts) {
    var data = JSON.parse(box.dataset.chart);
    var chart = window.echarts.init(box);
    var select = document.getElementById("radar-post");
    var draw = function () {
      var values = data.series[select.value] || [];
      chart.setOption({
        tooltip: {},
        radar: { indicator: data.indicators, radius: "65%" },
        series: [{
          type: "radar",
          data: [{ value: values, name: select.options[select.selectedIndex].text }],
          areaStyle: { opacity: 0.2 },
          itemStyle: { color: "#b71c1c" }
        }]
      });
    };
    select.addEventListener("change", draw);
    window.addEventListener("resize", function () { chart.resize(); });
    draw();
  }
})();
