/* WGS-84 <-> GCJ-02 for 高德/Amap tiles: the twin of quarter/maps/gcj02.py (same
   formula, same iterated inverse, tested against the same reference points).
   Exposes window.QuarterGcj02 in the browser and module.exports under Node. */
(function (root) {
  "use strict";
  var A = 6378245.0;
  var EE = 0.00669342162296594323;
  var TOLERANCE_DEG = 1e-9;
  var MAX_STEPS = 30;
  var PI = Math.PI;

  function outOfChina(lat, lng) {
    return !(lng >= 72.004 && lng <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);
  }

  function shiftLat(x, y) {
    var ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y;
    ret += 0.2 * Math.sqrt(Math.abs(x));
    ret += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2 / 3;
    ret += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2 / 3;
    ret += (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2 / 3;
    return ret;
  }

  function shiftLng(x, y) {
    var ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y;
    ret += 0.1 * Math.sqrt(Math.abs(x));
    ret += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2 / 3;
    ret += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2 / 3;
    ret += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2 / 3;
    return ret;
  }

  /* [lat, lng] in WGS-84 -> [lat, lng] in GCJ-02. */
  function wgsToGcj(lat, lng) {
    if (outOfChina(lat, lng)) return [lat, lng];
    var dlat = shiftLat(lng - 105.0, lat - 35.0);
    var dlng = shiftLng(lng - 105.0, lat - 35.0);
    var rad = lat / 180.0 * PI;
    var magic = 1 - EE * Math.pow(Math.sin(rad), 2);
    var sqrtMagic = Math.sqrt(magic);
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * PI);
    dlng = (dlng * 180.0) / (A / sqrtMagic * Math.cos(rad) * PI);
    return [lat + dlat, lng + dlng];
  }

  /* [lat, lng] in GCJ-02 -> the WGS-84 point whose image it is (iterated). */
  function gcjToWgs(lat, lng) {
    if (outOfChina(lat, lng)) return [lat, lng];
    var wlat = lat, wlng = lng;
    for (var i = 0; i < MAX_STEPS; i++) {
      var g = wgsToGcj(wlat, wlng);
      var dlat = g[0] - lat, dlng = g[1] - lng;
      if (Math.abs(dlat) < TOLERANCE_DEG && Math.abs(dlng) < TOLERANCE_DEG) break;
      wlat -= dlat;
      wlng -= dlng;
    }
    return [wlat, wlng];
  }

  var api = { wgsToGcj: wgsToGcj, gcjToWgs: gcjToWgs, outOfChina: outOfChina };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.QuarterGcj02 = api;
})(this);
