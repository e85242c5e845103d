// Visit log (联系本) charts: visits per month per shop, and money per month.
// Data comes from the page's json_script block; labels from data- attributes.
(function () {
  var source = document.getElementById("log-chart-data");
  var canvas = document.getElementById("log-visits-chart");
  if (!source || !canvas || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var L = document.getElementById("log-chart-labels").dataset;
  var palette = ["#c8102e", "#1f77b4", "#e07b00", "#2a9d55", "#6f42c1",
                 "#20c997", "#d62728", "#8c564b", "#7f7f7f"];
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;  // steady for readers and screenshots
  // Flatter charts on a desk screen, the default shape on a phone.
  Chart.defaults.aspectRatio = window.innerWidth > 700 ? 2.8 : 2;
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.months,
      datasets: data.visits.map(function (d, i) {
        return {label: d.label, data: d.data, backgroundColor: palette[i % palette.length]};
      })
    },
    options: {
      scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true,
                                       title: {display: true, text: L.visits},
                                       ticks: {precision: 0}}},
      plugins: {legend: {position: "bottom"}}
    }
  });
  var money = document.getElementById("log-money-chart");
  if (money) {
    new Chart(money, {
      type: "bar",
      data: {labels: data.months, datasets: [
        {label: L.bill, data: data.bill, backgroundColor: "#1f77b4"},
        {label: L.discount, data: data.discount, backgroundColor: "#c8102e"}]},
      options: {scales: {y: {beginAtZero: true, title: {display: true, text: L.yuan}}},
                plugins: {legend: {position: "bottom"}}}
    });
  }
})();
