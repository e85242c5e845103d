/* Survey charts: bars of satisfaction (%) with the 90 % target as a dashed line.
   Data come from json_script elements; no HTML is built here. */
(function () {
  "use strict";
  function barsWithTarget(id, labels, values, target) {
    var el = document.getElementById(id);
    if (!el || !window.Chart) return;
    var colours = values.map(function (v) {
      return v === null ? "#bbbbbb" : v >= target ? "#2a9d55" : "#e07b00";
    });
    new Chart(el, {
      data: {
        labels: labels,
        datasets: [
          { type: "bar", label: "满意度(%)", data: values, backgroundColor: colours },
          {
            type: "line", label: "目标 " + target + "%",
            data: labels.map(function () { return target; }),
            borderColor: "#c0392b", borderDash: [6, 4], pointRadius: 0, borderWidth: 2,
          },
        ],
      },
      options: {
        animation: false,
        plugins: { legend: { display: true } },
        scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } },
      },
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
