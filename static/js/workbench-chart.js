// Workbench charts: draws every [data-chart] box with ECharts (loaded before this file).
// Tooltips use richText: the CSP forbids the inline styles of ECharts' HTML tooltips.
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  document.querySelectorAll(".workbench-chart[data-chart]").forEach(function (box) {
    var data;
    try {
      data = JSON.parse(box.getAttribute("data-chart"));
    } catch (e) {
      return;
    }
    var chart = echarts.init(box);
    var narrow = box.clientWidth < 500;
    chart.setOption({
      color: ["#c8161d", "#f0a020"],
      tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: function (v) {
        return v === null || v === undefined ? "评价数不足" : v + "%";
      } },
      legend: { data: ["参评率", "满意率"], top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: data.branches,
        axisLabel: { interval: 0, rotate: narrow || data.branches.length > 6 ? 35 : 0,
                     fontSize: narrow ? 10 : 12 },
      },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        {
          name: "参评率", type: "bar", data: data.participation,
          markLine: {
            silent: true, symbol: "none", lineStyle: { color: "#198754", type: "dashed" },
            label: { position: "insideEndTop", formatter: "达标线 " + data.target + "%" },
            data: [{ yAxis: data.target }],
          },
        },
        { name: "满意率", type: "bar", data: data.satisfaction },
      ],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
