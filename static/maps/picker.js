/* The location picker (quarter.maps.widgets.LocationPicker): a map with a
   draggable marker that fills the latitude/longitude inputs, and inputs that
   move the marker, so it works by mouse, touch and keyboard. Positions are
   WGS-84: under the 高德 preset the map's CRS converts for display. */
(function () {
  "use strict";
  var FALLBACK = [30.2741, 120.1746];

  function number(input) {
    var v = parseFloat(input.value);
    return isFinite(v) ? v : null;
  }

  function setup(el) {
    var lat = document.getElementById(el.dataset.latInput);
    var lng = document.getElementById(el.dataset.lngInput);
    if (!lat || !lng || !window.QuarterMap) return;
    var status = document.getElementById(el.dataset.latInput + "-status");
    var centers = el.dataset.centers ? document.getElementById(el.dataset.centers) : null;
    centers = centers ? JSON.parse(centers.textContent) : null;
    var select = el.dataset.centersSelect ? document.getElementById(el.dataset.centersSelect) : null;

    function centre() {
      if (centers && select && centers[select.value]) return centers[select.value];
      if (centers) { var first = Object.keys(centers)[0]; if (first) return centers[first]; }
      if (el.dataset.centerLat) return [Number(el.dataset.centerLat), Number(el.dataset.centerLng)];
      return FALLBACK;
    }

    var has = number(lat) !== null && number(lng) !== null;
    var start = has ? [number(lat), number(lng)] : centre();
    var map = QuarterMap.createMap(el.id, start, 17);
    var marker = null;

    function show(latlng) {
      if (!marker) {
        marker = L.marker(latlng, { draggable: true, autoPan: true, title: "店铺位置", alt: "所选位置" })
          .addTo(map);
        marker.on("dragend", function () { write(marker.getLatLng()); });
      } else {
        marker.setLatLng(latlng);
      }
    }
    function write(latlng) {
      lat.value = latlng.lat.toFixed(6);
      lng.value = latlng.lng.toFixed(6);
      if (status) status.textContent = "已选位置:纬度 " + lat.value + ",经度 " + lng.value;
      el.dataset.picked = "1";
      lat.dispatchEvent(new Event("change", { bubbles: true }));
    }
    if (has) show(L.latLng(start));
    map.on("click", function (e) { show(e.latlng); write(e.latlng); });
    function typed() {
      var a = number(lat), b = number(lng);
      if (a === null || b === null || Math.abs(a) > 90 || Math.abs(b) > 180) return;
      show(L.latLng(a, b));
      map.panTo([a, b]);
      if (status) status.textContent = "已选位置:纬度 " + a + ",经度 " + b;
    }
    lat.addEventListener("input", typed);
    lng.addEventListener("input", typed);
    if (select) select.addEventListener("change", function () {
      if (!marker) map.setView(centre(), 17);
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-location-picker]"), setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
