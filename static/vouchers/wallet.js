/* The wallet's map of shops where the resident's vouchers can be used. */
(function () {
  "use strict";
  function init() {
    var data = document.getElementById("wallet-pins");
    if (!data || !window.QuarterMap) return;
    var pins = JSON.parse(data.textContent);
    if (!pins.length) return;
    var map = QuarterMap.createMap("wallet-map", [pins[0].lat, pins[0].lng], 16);
    QuarterMap.addMerchants(map, pins);
    map.fitBounds(pins.map(function (p) { return [p.lat, p.lng]; }),
                  { maxZoom: 17, padding: [20, 20] });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
