/* Merchant application: pick the shop's position on the map. */
(function () {
  "use strict";
  function init() {
    var lat = document.getElementById("id_lat"), lng = document.getElementById("id_lng");
    var data = document.getElementById("community-centers");
    var community = document.getElementById("id_community");
    if (!lat || !lng || !data || !community || !window.QuarterMap) return;
    var centers = JSON.parse(data.textContent);
    var first = centers[community.value] || Object.values(centers)[0] || [30.2741, 120.1746];
    var start = [parseFloat(lat.value) || first[0], parseFloat(lng.value) || first[1]];
    var map = QuarterMap.createMap("pick-map", start, 16);
    var marker = null;
    function place(latlng) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
      lat.value = latlng.lat.toFixed(6); lng.value = latlng.lng.toFixed(6);
    }
    if (lat.value && lng.value) place(L.latLng(start));
    map.on("click", function (e) { place(e.latlng); });
    community.addEventListener("change", function () {
      if (centers[community.value]) map.setView(centers[community.value], 16);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
