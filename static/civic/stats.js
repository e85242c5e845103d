/* Monthly statistics of reports: three Chart.js charts from the page's JSON. */
(function () {
  "use strict";
  function chart(id, type, label, values, labels, colour) {
    var el = document.getElementById(id);
    if (!el || !window.Chart) return;
    new Chart(el, {
      type: type,
      data: { labels: labels, datasets: [{ label: label, data: values, backgroundColor: colour, borderColor: colour, spanGaps: true }] },
      options: { animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
  function init() {
    var data = document.getElementById("civic-chart");
    if (!data) return;
    var d = JSON.parse(data.textContent);
    chart("chart-count", "bar", "诉求数", d.counts, d.labels, "#1f77b4");
    chart("chart-ontime", "line", "按时办结率", d.on_time, d.labels, "#2a9d55");
    chart("chart-hours", "line", "平均办理时长(小时)", d.hours, d.labels, "#e07b00");
    document.body.dataset.chartsReady = "1";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
