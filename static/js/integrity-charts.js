// Heat-map page: the distribution by category and level as a stacked bar chart.
// The data comes from the container's data-chart attribute (no inline script).
(function () {
  "use strict";
  var box = document.getElementById("risk-chart");
  if (!box || typeof echarts === "undefined") { return; }
  var data = JSON.parse(box.dataset.chart);
  var colours = ["#c62828", "#f9a825", "#2e7d32"];
  var chart = echarts.init(box, null, {renderer: "svg"});
  chart.setOption({
    color: colours,
    tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
    legend: {data: data.levels, top: 0},
    grid: {left: 8, right: 8, bottom: 8, top: 32, containLabel: true},
    xAxis: {type: "category", data: data.categories},
    yAxis: {type: "value", minInterval: 1},
    series: data.levels.map(function (name, i) {
      return {name: name, type: "bar", stack: "all", data: data.series[i]};
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
}());
