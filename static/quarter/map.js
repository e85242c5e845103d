/* Quarter maps: Leaflet over the base map of static/maps/base.js (tile presets,
   or Quarter's own street layer when no tile server is configured); compounds
   and merchants drawn as vector markers. */
(function () {
  "use strict";
  var TIER_COLOURS = { basic: "#1f77b4", quality: "#e07b00", public: "#2a9d55" };

  function createMap(elementId, center, zoom) {
    // maxZoom is needed by marker clustering when no tile layer sets it.
    var map = L.map(elementId, window.QuarterBase ? QuarterBase.options() : { maxZoom: 19 })
      .setView(center, zoom || 16);
    if (window.QuarterBase) QuarterBase.addTo(map);
    return map;
  }

  function merchantMarker(m) {
    var colour = TIER_COLOURS[m["main_type__tier"] || m.tier] || "#555";
    var marker = L.circleMarker([m.lat, m.lng], {
      radius: 8, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 0.95,
    });
    var discount = m.card_discount || "";
    var typeName = m["main_type__name_zh"] || m.type_name || "";
    var div = document.createElement("div");
    var link = document.createElement("a");
    link.href = "/merchants/" + m.id + "/";
    link.textContent = m.name;
    link.className = "popup-name";
    div.appendChild(link);
    var info = document.createElement("div");
    info.textContent = typeName + (discount ? " · 大家卡" + discount : "") +
      (m.status === "renovating" ? " · 装修中" : m.status === "closed" ? " · 已停业" : "");
    div.appendChild(info);
    if (m.walk_label) {
      // From the resident's compound, measured by the server (coverage.walking).
      var walk = document.createElement("div");
      walk.className = "walk";
      walk.textContent = m.walk_label;
      div.appendChild(walk);
    }
    if (m.stars) {
      // The annual star badge, as text: "★★★★☆ 4星商户".
      var badge = document.createElement("div");
      badge.className = "star-badge";
      badge.textContent = "★★★★★".slice(0, m.stars) + "☆☆☆☆☆".slice(0, 5 - m.stars) +
        " " + m.stars + "星商户";
      div.appendChild(badge);
      marker.bindTooltip(textLabel(m.name + " " + m.stars + "★"));
    }
    marker.bindPopup(div);
    marker.options.merchantId = m.id;
    return marker;
  }

  // Map labels are always built from text nodes: names come from merchants and
  // operators, and Leaflet would parse a string label as HTML.
  function textLabel(content) {
    var span = document.createElement("span");
    span.textContent = content == null ? "" : String(content);
    return span;
  }

  function discountText(permille) {
    if (!permille) return "";
    return (permille / 100).toString() + "折";
  }

  window.QuarterMap = {
    createMap: createMap,
    TIER_COLOURS: TIER_COLOURS,
    addMerchants: function (map, merchants) {
      var cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 });
      merchants.forEach(function (m) {
        m.card_discount = m.card_discount || discountText(m.card_discount_permille);
        cluster.addLayer(merchantMarker(m));
      });
      map.addLayer(cluster);
      return cluster;
    },
    addCompounds: function (map, compounds) {
      compounds.forEach(function (c) {
        L.circleMarker([c.lat, c.lng], {
          radius: 11, color: "#6b2fa0", weight: 2, fillColor: "#c9b3e6", fillOpacity: 0.7,
        }).bindTooltip(textLabel(c.name + "(" + c.households + "户)")).addTo(map);
      });
    },
    textLabel: textLabel,
  };
})();
