/* District planning: community centres coloured by the share of households with every
   basic type within 15 minutes; suggested sites drawn when htmx brings them.
   Labels are text nodes only. */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function colour(share) {
    return share >= 90 ? "#2a9d55" : share >= 60 ? "#e6a100" : "#d62728";
  }

  function text(tag, content) {
    var el = document.createElement(tag);
    el.textContent = content;
    return el;
  }

  function textLabel(c) {
    var div = document.createElement("div");
    var b = document.createElement("b");
    b.textContent = c.rank + ". " + c.name;
    div.appendChild(b);
    var line = document.createElement("div");
    line.textContent = c.share + "% · " + c.households;
    div.appendChild(line);
    return div;
  }

  function init() {
    var el = document.getElementById("district-map");
    var data = readJson("district-data") || [];
    if (!el || typeof L === "undefined" || !data.length) return;
    var map = L.map(el, window.QuarterBase ? QuarterBase.options({ zoomSnap: 0.5 }) : { zoomSnap: 0.5 }).setView([data[0].lat, data[0].lng], 13);
    if (window.QuarterBase) QuarterBase.addTo(map);
    var bounds = [];
    data.forEach(function (c) {
      L.circleMarker([c.lat, c.lng], {
        radius: 10, color: colour(c.share), fillColor: colour(c.share), fillOpacity: 0.6,
      }).bindTooltip(textLabel(c), { permanent: true, direction: "top" }).addTo(map);
      bounds.push([c.lat, c.lng]);
    });
    if (bounds.length > 1) map.fitBounds(bounds, { padding: [40, 40] });
    var sites = L.layerGroup().addTo(map);
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (!event.target || event.target.id !== "district-sites") return;
      sites.clearLayers();
      event.target.querySelectorAll(".suggestion").forEach(function (li, i) {
        var marker = L.marker([Number(li.dataset.lat), Number(li.dataset.lng)]);
        marker.bindTooltip(text("span", String(i + 1)), { permanent: true }).addTo(sites);
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
