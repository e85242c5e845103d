// Issuer dashboard charts (Chart.js) and live counters during a rush.
(function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var L = document.getElementById("chart-labels").dataset;
  var red = "#c8102e", blue = "#1f77b4", orange = "#e07b00", green = "#2a9d55";
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;  // figures appear at once, steady for readers and screenshots
  function bar(id, label, values, color) {
    new Chart(document.getElementById(id), {
      type: "bar", data: {labels: data.rounds, datasets: [{label: label, data: values, backgroundColor: color}]},
      options: {plugins: {legend: {display: false}}}
    });
  }
  bar("sellout", L.sellout, data.sellout, red);
  bar("rate", L.rate, data.redemption_rate, green);
  new Chart(document.getElementById("money"), {
    type: "bar",
    data: {labels: data.rounds, datasets: [
      {label: L.subsidy, data: data.subsidy, backgroundColor: red},
      {label: L.driven, data: data.driven, backgroundColor: blue}]}
  });
  var palette = [red, blue, orange, green, "#6f42c1", "#20c997"];
  new Chart(document.getElementById("curve"), {
    type: "line",
    data: {datasets: data.curves.map(function (c, i) {
      return {label: c.label, data: c.points.map(function (p) { return {x: p[0], y: p[1]}; }),
              borderColor: palette[i % palette.length], fill: false, tension: 0.2};
    })},
    options: {scales: {x: {type: "linear", title: {display: true, text: L.secs}},
                       y: {title: {display: true, text: L.cum}}}}
  });
  var groups = [["round", L.round], ["type", L.type], ["district", L.district]];
  var labels = [], values = [], colors = [];
  groups.forEach(function (g, i) {
    (data.breakdown[g[0]] || []).forEach(function (row) {
      labels.push(g[1] + ":" + row.label); values.push(row.leverage || 0); colors.push(palette[i]);
    });
  });
  new Chart(document.getElementById("lev"), {
    type: "bar", data: {labels: labels, datasets: [{label: L.leverage, data: values, backgroundColor: colors}]},
    options: {indexAxis: "y", plugins: {legend: {display: false}}}
  });
  document.querySelectorAll(".live").forEach(function (box) {
    function poll() {
      fetch(box.dataset.url).then(function (r) { return r.json(); }).then(function (d) {
        box.querySelector(".claimed").textContent = d.claimed;
        box.querySelector(".remaining").textContent = d.remaining === null ? "—" : d.remaining;
      }).finally(function () { setTimeout(poll, 1000); });
    }
    poll();
  });
})();
