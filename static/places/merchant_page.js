/* A merchant's page: one marker whose popup is the shop's name as text. */
(function () {
  "use strict";
  function init() {
    var data = document.getElementById("merchant-data");
    if (!data || !window.QuarterMap) return;
    var m = JSON.parse(data.textContent);
    var map = QuarterMap.createMap("merchant-map", [m.lat, m.lng], 17);
    var marker = L.marker([m.lat, m.lng], { title: m.name, alt: m.name }).addTo(map);
    marker.bindPopup(QuarterMap.textLabel(m.name));
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
