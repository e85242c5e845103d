/* Report a problem: pick its place on the map (the map works without tiles);
   the merchant choice shows only for categories about a shop. */
(function () {
  "use strict";
  function init() {
    var el = document.getElementById("pick-map");
    var lat = document.getElementById("id_lat"), lng = document.getElementById("id_lng");
    if (!el || !lat || !lng || !window.QuarterMap) return;
    var start = [parseFloat(lat.value) || Number(el.dataset.lat), parseFloat(lng.value) || Number(el.dataset.lng)];
    var map = QuarterMap.createMap("pick-map", start, 17);
    var picked = document.getElementById("picked");
    var marker = null;
    function place(latlng) {
      if (marker) { marker.setLatLng(latlng); }
      else { marker = L.circleMarker(latlng, { radius: 10, color: "#fff", weight: 2, fillColor: "#d62728", fillOpacity: 0.95 }).addTo(map); }
      lat.value = latlng.lat.toFixed(6);
      lng.value = latlng.lng.toFixed(6);
      if (picked) picked.textContent = "已选位置:" + lat.value + ", " + lng.value;
      el.dataset.picked = "1";
    }
    if (lat.value && lng.value) place(L.latLng(start));
    map.on("click", function (e) { place(e.latlng); });

    var category = document.getElementById("id_category");
    var field = document.getElementById("merchant-field");
    var data = document.getElementById("merchant-categories");
    if (category && field && data) {
      var ids = JSON.parse(data.textContent).map(String);
      var sync = function () { field.hidden = ids.indexOf(category.value) < 0; };
      category.addEventListener("change", sync);
      sync();
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
