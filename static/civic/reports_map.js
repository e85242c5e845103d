/* 民情地图: report points (red when overdue) and a 100 m density grid drawn as
   rectangles. Data from the JSON the #reports-map element names; labels are
   text nodes, never HTML strings. */
(function () {
  "use strict";
  var COLOURS = { overdue: "#d62728", open: "#1f77b4", done: "#2a9d55" };
  var RAMP = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
  var DONE = ["resolved", "closed", "rejected"];

  function popup(r) {
    var div = document.createElement("div");
    var link = document.createElement("a");
    link.href = "/civic/reports/" + r.id + "/";
    link.textContent = "#" + r.id + " " + r.category;
    div.appendChild(link);
    var info = document.createElement("div");
    info.textContent = r.status_label + " · " + r.created + (r.overdue ? " · 超时" : "");
    div.appendChild(info);
    return div;
  }

  function init() {
    var el = document.getElementById("reports-map");
    if (!el || !el.dataset.url || !window.QuarterMap) return;
    var map = QuarterMap.createMap("reports-map", [Number(el.dataset.centerLat), Number(el.dataset.centerLng)], 16);
    var density = L.layerGroup().addTo(map);
    var toggle = document.getElementById("density-toggle");
    if (toggle) toggle.addEventListener("change", function () {
      if (toggle.checked) density.addTo(map); else map.removeLayer(density);
    });
    fetch(el.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        (data.cells || []).forEach(function (c) {
          L.rectangle([[c.south, c.west], [c.north, c.east]], {
            color: RAMP[c.level - 1], weight: 1, fillColor: RAMP[c.level - 1], fillOpacity: 0.35,
          }).bindTooltip(QuarterMap.textLabel(c.count + " 件")).addTo(density);
        });
        var points = [];
        (data.reports || []).forEach(function (r) {
          var div = popup(r);  // DOM nodes with textContent, never an HTML string
          var kind = r.overdue ? "overdue" : (DONE.indexOf(r.status) >= 0 ? "done" : "open");
          var m = L.circleMarker([r.lat, r.lng], {
            radius: 8, color: "#fff", weight: 2, fillColor: COLOURS[kind], fillOpacity: 0.95,
            className: "report-" + kind,
          }).bindPopup(div).addTo(map);
          points.push(m.getLatLng());
        });
        if (points.length) map.fitBounds(L.latLngBounds(points).pad(0.2), { maxZoom: 17 });
        el.dataset.count = (data.reports || []).length;
        el.dataset.overdue = (data.reports || []).filter(function (r) { return r.overdue; }).length;
      });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
