/* Survey charts: bars of satisfaction (%) with the 90 % target drawn as a dashed
   line across the whole plot (a small Chart.js plugin, so it shows even with one
   bar). Data come from json_script elements; no HTML is built here. */
(function () {
  "use strict";
  var targetLine = {
    id: "targetLine",
    afterDatasetsDraw: function (chart, _args, options) {
      if (options.value === undefined || options.value === null) return;
      var area = chart.chartArea;
      var y = chart.scales.y.getPixelForValue(options.value);
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#c0392b";
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(area.left, y);
      ctx.lineTo(area.right, y);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#c0392b";
      ctx.font = "12px sans-serif";
      ctx.textAlign = "right";
      ctx.fillText("目标 " + options.value + "%", area.right - 4, y - 4);
      ctx.restore();
    },
  };
  function barsWithTarget(id, labels, values, target) {
    var el = document.getElementById(id);
    if (!el || !window.Chart) return;
    var colours = values.map(function (v) {
      return v === null ? "#bbbbbb" : v >= target ? "#2a9d55" : "#e07b00";
    });
    new Chart(el, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [{ label: "满意度(%)", data: values, backgroundColor: colours, maxBarThickness: 48 }],
      },
      options: {
        animation: false,
        plugins: { legend: { display: false }, targetLine: { value: target } },
        scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } },
      },
      plugins: [targetLine],
    });
  }
  function init() {
    var circle = document.getElementById("survey-chart");
    if (circle) {
      var d = JSON.parse(circle.textContent);
      barsWithTarget("chart-dimensions", d.dimensions.labels, d.dimensions.values, d.target);
      barsWithTarget("chart-trend", d.trend.labels, d.trend.values, d.target);
    }
    var district = document.getElementById("district-chart");
    if (district) {
      var x = JSON.parse(district.textContent);
      barsWithTarget("chart-district", x.labels, x.values, x.target);
    }
    document.body.dataset.chartsReady = "1";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
