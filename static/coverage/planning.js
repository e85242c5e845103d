/* Planning dashboard: map with isochrones and gap colouring, charts, what-if clicks.
   Works without a tile server (Quarter's street layer, static/maps/base.js); vector layers on top. */
(function () {
  "use strict";
  var ISO_STYLE = {
    5: { color: "#1a7f37", fillColor: "#2a9d55", fillOpacity: 0.35, weight: 1 },
    10: { color: "#b58100", fillColor: "#e0b400", fillOpacity: 0.25, weight: 1 },
    15: { color: "#b5530b", fillColor: "#f08c3a", fillOpacity: 0.18, weight: 1 },
  };
  var TIER_COLOURS = { basic: "#1f77b4", quality: "#e07b00", public: "#2a9d55" };

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // Translated texts come from the page (json_script "planning-labels");
  // "%(n)s" in a label is replaced by a number.
  var LABELS = readJson("planning-labels") || {};
  function label(key, n) {
    var s = LABELS[key] || "";
    return n === undefined ? s : s.replace("%(n)s", String(n));
  }

  function text(tag, content, className) {
    var el = document.createElement(tag);
    el.textContent = content;
    if (className) el.className = className;
    return el;
  }

  // Gap colouring: green when every basic type is within 15 minutes, amber for
  // one or two missing, red for three or more.
  function gapColour(missing) {
    return missing === 0 ? "#2a9d55" : missing <= 2 ? "#e6a100" : "#d62728";
  }

  function compoundPopup(c) {
    var div = document.createElement("div");
    div.appendChild(text("b", c.name));
    div.appendChild(text("div", label("households", c.households)));
    div.appendChild(text("div", c.missing_basic.length
      ? label("missing_within_15") + c.missing_basic.join(label("list_separator"))
      : label("all_basic")));
    return div;
  }

  function initMap(root) {
    var el = document.getElementById("planning-map");
    if (!el || typeof L === "undefined") return;
    var center = (root.dataset.center || "0,0").split(",").map(Number);
    // Vector layers need a view before they are added: start at the community centre.
    var map = L.map(el, window.QuarterBase ? QuarterBase.options({ zoomSnap: 0.5 }) : { zoomSnap: 0.5 }).setView(center, 15);
    if (window.QuarterBase) QuarterBase.addTo(map);
    var isoLayer = L.layerGroup().addTo(map);
    var proposed = null;
    var select = document.getElementById("iso-compound");
    fetch(root.dataset.mapUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var bounds = L.latLngBounds([]);
        var isoCache = {};
        function drawIsochrones(collection) {
          isoLayer.clearLayers();
          [15, 10, 5].forEach(function (minutes) {
            collection.features.forEach(function (f) {
              if (f.properties.minutes === minutes) {
                var layer = L.geoJSON(f, { style: ISO_STYLE[minutes], interactive: false });
                layer.addTo(isoLayer);
                bounds.extend(layer.getBounds());
              }
            });
          });
        }
        function showIsochrones() {
          var id = select ? select.value : "";
          if (isoCache[id]) return drawIsochrones(isoCache[id]);
          el.dataset.isoReady = "0";
          fetch(root.dataset.isoUrl + "&compound=" + encodeURIComponent(id),
                { credentials: "same-origin" })
            .then(function (r) { return r.json(); })
            .then(function (collection) {
              isoCache[id] = collection;
              drawIsochrones(collection);
              el.dataset.isoReady = "1";
            });
        }
        if (select) {
          isoCache[select.value] = data.isochrones;
          select.addEventListener("change", showIsochrones);
        }
        drawIsochrones(data.isochrones);
        data.merchants.forEach(function (m) {
          L.circleMarker([m.lat, m.lng], {
            radius: 4, weight: 1, color: "#fff",
            fillColor: TIER_COLOURS[m.main_type__tier] || "#555", fillOpacity: 0.9,
          }).bindTooltip(text("span", m.name + " · " + m.main_type__name_zh +
            " · " + label("merchant_households_15", m.households_15))).addTo(map);
          bounds.extend([m.lat, m.lng]);
        });
        data.compounds.forEach(function (c) {
          L.circleMarker([c.lat, c.lng], {
            radius: 11, weight: 3, color: "#fff",
            fillColor: gapColour(c.missing_basic.length), fillOpacity: 0.95,
            className: "compound-marker",
          }).bindPopup(compoundPopup(c)).on("click", function () {
            if (select && select.value !== String(c.id)) {
              select.value = String(c.id);
              showIsochrones();
            }
          }).addTo(map);
          bounds.extend([c.lat, c.lng]);
        });
        if (bounds.isValid()) map.fitBounds(bounds.pad(0.05));
        el.dataset.ready = "1";
      });

    map.on("click", function (e) {
      var form = document.getElementById("map-whatif-form");
      var type = document.getElementById("suggest-type");
      if (!form || !window.htmx) return;
      form.elements.type.value = type ? type.value : "";
      form.elements.lat.value = e.latlng.lat.toFixed(6);
      form.elements.lng.value = e.latlng.lng.toFixed(6);
      htmx.trigger(form, "submit");
    });

    document.body.addEventListener("htmx:afterSwap", function (evt) {
      var target = evt.detail.target || evt.target;
      var box = document.getElementById("whatif");
      if (box && box.dataset.lat) {
        var at = [Number(box.dataset.lat), Number(box.dataset.lng)];
        if (proposed) map.removeLayer(proposed);
        proposed = L.marker(at, { title: label("proposed_shop") }).addTo(map);
      }
      var list = document.getElementById("suggestions");
      if (list && target === list) {
        list.querySelectorAll(".suggestion").forEach(function (li, i) {
          L.circleMarker([Number(li.dataset.lat), Number(li.dataset.lng)], {
            radius: 9, color: "#6f42c1", weight: 3, fillOpacity: 0.2,
          }).bindTooltip(text("span", label("site", i + 1))).addTo(map);
        });
      }
    });
  }

  function initCharts() {
    var data = readJson("chart-data");
    if (!data || typeof Chart === "undefined") return;
    new Chart(document.getElementById("chart-tiers"), {
      type: "bar",
      data: {
        labels: data.tiers.labels,
        datasets: [{ label: label("merchant_count"), data: data.tiers.values,
          backgroundColor: ["#1f77b4", "#e07b00", "#2a9d55"] }],
      },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, animation: false },
    });
    new Chart(document.getElementById("chart-types"), {
      type: "bar",
      data: {
        labels: data.types.labels,
        datasets: [
          { label: label("merchant_count"), data: data.types.counts, xAxisID: "x",
            backgroundColor: data.types.tiers.map(function (t) { return TIER_COLOURS[t]; }) },
          { label: label("coverage_share_15"), data: data.types.coverage, xAxisID: "x2",
            backgroundColor: "rgba(120,120,120,0.35)" },
        ],
      },
      options: {
        indexAxis: "y", animation: false, maintainAspectRatio: false,
        scales: { x: { position: "top" }, x2: { position: "bottom", min: 0, max: 100 } },
      },
    });
  }

  function init() {
    var root = document.getElementById("planning");
    if (!root) return;
    initMap(root);
    initCharts();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
