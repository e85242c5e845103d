/* The residents' community map (/map/): compounds from the page, merchants from
   the JSON the #map element names. Data comes from data-* and json_script only. */
(function () {
  "use strict";
  function init() {
    var el = document.getElementById("map");
    if (!el || !el.dataset.url || !window.QuarterMap) return;
    var center = [Number(el.dataset.centerLat), Number(el.dataset.centerLng)];
    var map = QuarterMap.createMap("map", center, 16);
    var compounds = document.getElementById("compounds");
    if (compounds) QuarterMap.addCompounds(map, JSON.parse(compounds.textContent));
    fetch(el.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var cluster = QuarterMap.addMerchants(map, data.merchants);
        if (data.merchants.length) {
          map.fitBounds(cluster.getBounds().pad(0.1), { maxZoom: 17 });
        }
        el.dataset.count = data.merchants.length;
      });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
