/* The base map under every Quarter map, from the #quarter-map config
   (quarter.maps.presets): tile layers (天地图, 高德, any XYZ) or, with no tile
   server, Quarter's own street layer drawn on canvas from GeoJSON tiles of the
   imported walking network, with compound outlines and names. For 高德 the map uses a CRS
   that shows WGS-84 positions on GCJ-02 tiles and turns every pick back into
   WGS-84, so page scripts only ever see WGS-84. Labels are text nodes or canvas
   text, never HTML strings. */
(function () {
  "use strict";
  var NO_NETWORK = "本区域尚未导入步行路网,地图只显示小区位置与名称。";
  var COMPOUNDS_FROM_ZOOM = 14;
  var STYLE = {
    // rank: [casing colour, fill colour, width at zoom 16]
    0: ["#c8b79a", "#fffaf0", 7],
    1: ["#bdb3a2", "#ffffff", 6],
    2: ["#c6bdae", "#ffffff", 4.5],
    3: [null, "#a99c8b", 1.3],
  };

  var cached = null;
  function readConfig() {
    if (cached) return cached;
    var el = document.getElementById("quarter-map");
    if (!el) return { preset: "none", layers: [] };
    cached = JSON.parse(el.textContent);
    return cached;
  }

  function textLabel(content) {
    var span = document.createElement("span");
    span.textContent = content == null ? "" : String(content);
    return span;
  }

  /* Web Mercator over GCJ-02: positions are WGS-84, tiles are GCJ-02. */
  function gcjCrs() {
    var merc = L.Projection.SphericalMercator;
    var projection = {
      bounds: merc.bounds,
      project: function (latlng) {
        var g = QuarterGcj02.wgsToGcj(latlng.lat, latlng.lng);
        return merc.project(L.latLng(g[0], g[1]));
      },
      unproject: function (point) {
        var ll = merc.unproject(point);
        var w = QuarterGcj02.gcjToWgs(ll.lat, ll.lng);
        return L.latLng(w[0], w[1]);
      },
    };
    return L.extend({}, L.CRS.EPSG3857, { code: "GCJ02-3857", projection: projection });
  }

  function widthAt(base, zoom) {
    return Math.max(0.8, base * Math.pow(1.35, zoom - 16));
  }

  function drawLines(ctx, lines, pass) {
    lines.forEach(function (l) {
      var style = STYLE[l.rank] || STYLE[2];
      var colour = pass === "casing" ? style[0] : style[1];
      if (!colour) return;
      ctx.strokeStyle = colour;
      ctx.lineWidth = pass === "casing" ? l.width + 2 : l.width;
      ctx.setLineDash(l.rank === 3 ? [3, 2] : []);
      ctx.beginPath();
      l.points.forEach(function (p, i) { if (i) ctx.lineTo(p.x, p.y); else ctx.moveTo(p.x, p.y); });
      ctx.stroke();
    });
  }

  /* Compound outlines (小区) under the streets: a light fill and a border. */
  function drawAreas(ctx, areas) {
    ctx.setLineDash([]);
    ctx.fillStyle = "rgba(107, 47, 160, 0.07)";
    ctx.strokeStyle = "#b49fd0";
    ctx.lineWidth = 1.2;
    areas.forEach(function (polygon) {
      ctx.beginPath();
      polygon.forEach(function (ring) {
        ring.forEach(function (p, i) { if (i) ctx.lineTo(p.x, p.y); else ctx.moveTo(p.x, p.y); });
        ctx.closePath();
      });
      ctx.fill("evenodd");
      ctx.stroke();
    });
  }

  /* One name per street per tile, along its longest segment if it fits inside. */
  function drawNames(ctx, lines, size) {
    var done = {};
    ctx.setLineDash([]);
    ctx.font = "12px sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    lines.forEach(function (l) {
      if (!l.name || done[l.name] || l.rank === 3 && l.zoom < 17) return;
      var best = null, bestLen = 0;
      for (var i = 1; i < l.points.length; i++) {
        var a = l.points[i - 1], b = l.points[i];
        var len = Math.hypot(b.x - a.x, b.y - a.y);
        if (len > bestLen) { bestLen = len; best = [a, b]; }
      }
      var w = ctx.measureText(l.name).width;
      if (!best || bestLen < w + 16) return;
      var cx = (best[0].x + best[1].x) / 2, cy = (best[0].y + best[1].y) / 2;
      if (cx - w / 2 < 2 || cx + w / 2 > size - 2 || cy < 8 || cy > size - 8) return;
      var angle = Math.atan2(best[1].y - best[0].y, best[1].x - best[0].x);
      if (angle > Math.PI / 2) angle -= Math.PI;
      if (angle < -Math.PI / 2) angle += Math.PI;
      ctx.save();
      ctx.translate(cx, cy);
      ctx.rotate(angle);
      ctx.lineWidth = 3;
      ctx.strokeStyle = "rgba(255,255,255,0.9)";
      ctx.strokeText(l.name, 0, 0);
      ctx.fillStyle = "#4a4036";
      ctx.fillText(l.name, 0, 0);
      ctx.restore();
      done[l.name] = true;
    });
  }

  var StreetLayer = L.GridLayer.extend({
    options: { maxNativeZoom: 19, minZoom: 0, updateWhenZooming: false, pane: "tilePane" },

    initialize: function (url, options) {
      L.GridLayer.prototype.initialize.call(this, options);
      this._url = url;
      this._compounds = {};
      this._drawn = 0;
      this._areas = 0;
      this._named = 0;
    },

    onAdd: function (map) {
      L.GridLayer.prototype.onAdd.call(this, map);
      this._labels = L.layerGroup().addTo(map);
      this._notice = L.control({ position: "bottomleft" });
      this._notice.onAdd = function () {
        var div = L.DomUtil.create("div", "map-notice");
        div.setAttribute("role", "status");
        div.appendChild(document.createTextNode(NO_NETWORK));
        return div;
      };
      this._seenNetwork = false;
      this.on("loading", function () { this._seenNetwork = false; }, this);
      this.on("load", this._updateNotice, this);
      map.on("zoomend", this._toggleLabels, this);
      map.getContainer().classList.add("street-map");
    },

    _updateNotice: function () {
      var map = this._map;
      if (!map) return;
      var show = !this._seenNetwork && map.getZoom() >= COMPOUNDS_FROM_ZOOM;
      if (show && !this._noticeShown) { this._notice.addTo(map); this._noticeShown = true; }
      if (!show && this._noticeShown) { this._notice.remove(); this._noticeShown = false; }
      map.getContainer().dataset.streetNetwork = this._seenNetwork ? "1" : "0";
    },

    _toggleLabels: function () {
      var map = this._map;
      if (!map || !this._labels) return;
      if (map.getZoom() >= COMPOUNDS_FROM_ZOOM) { if (!map.hasLayer(this._labels)) this._labels.addTo(map); }
      else if (map.hasLayer(this._labels)) map.removeLayer(this._labels);
    },

    _addCompound: function (f) {
      var c = f.geometry.coordinates, name = f.properties.name;
      var key = name + "|" + c[0] + "|" + c[1];
      if (this._compounds[key]) return;
      this._compounds[key] = true;
      L.circleMarker([c[1], c[0]], {
        radius: 4, color: "#6b2fa0", weight: 1.5, fillColor: "#e4d7f3", fillOpacity: 0.9,
        interactive: false, className: "compound-point",
      }).bindTooltip(textLabel(name), {
        permanent: true, direction: "right", offset: [5, 0], className: "compound-name",
      }).addTo(this._labels);
    },

    createTile: function (coords, done) {
      var size = this.getTileSize();
      var ratio = window.devicePixelRatio || 1;
      var canvas = L.DomUtil.create("canvas", "street-tile");
      canvas.width = size.x * ratio;
      canvas.height = size.y * ratio;
      canvas.style.width = size.x + "px";
      canvas.style.height = size.y + "px";
      var url = L.Util.template(this._url, { z: coords.z, x: coords.x, y: coords.y });
      var layer = this;
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (data) {
          layer._paint(canvas, coords, size, ratio, data);
          done(null, canvas);
        })
        .catch(function (err) { done(err, canvas); });
      return canvas;
    },

    _paint: function (canvas, coords, size, ratio, data) {
      var map = this._map;
      if (!map) return;
      if (data.network) this._seenNetwork = true;
      var origin = L.point(coords.x * size.x, coords.y * size.y);
      var lines = [];
      var areas = [];
      var layer = this;
      function toPixels(c) { return map.project([c[1], c[0]], coords.z).subtract(origin); }
      (data.features || []).forEach(function (f) {
        var type = f.geometry.type;
        if (type === "Point") { layer._addCompound(f); return; }
        if (type === "Polygon" || type === "MultiPolygon") {
          var polygons = type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
          polygons.forEach(function (rings) {
            areas.push(rings.map(function (ring) { return ring.map(toPixels); }));
          });
          return;
        }
        var pts = f.geometry.coordinates.map(toPixels);
        var rank = f.properties.rank;
        lines.push({
          points: pts, rank: rank, name: f.properties.name, zoom: coords.z,
          width: widthAt((STYLE[rank] || STYLE[2])[2], coords.z),
        });
      });
      lines.sort(function (a, b) { return b.rank - a.rank; });
      var ctx = canvas.getContext("2d");
      ctx.scale(ratio, ratio);
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      drawAreas(ctx, areas);
      drawLines(ctx, lines, "casing");
      drawLines(ctx, lines, "fill");
      drawNames(ctx, lines, size.x);
      this._drawn += lines.length;
      this._areas += areas.length;
      map.getContainer().dataset.streetLines = String(this._drawn);
      map.getContainer().dataset.compoundAreas = String(this._areas);
    },
  });

  window.QuarterBase = {
    config: readConfig,
    /* Map options with the right CRS for the preset. */
    options: function (extra) {
      var config = readConfig();
      var opts = L.extend({ maxZoom: 19 }, extra || {});
      if (config.gcj02) opts.crs = gcjCrs();
      return opts;
    },
    /* Add the preset's base layers (tiles or the street layer) to a map. */
    addTo: function (map) {
      var config = readConfig();
      map.getContainer().dataset.mapPreset = config.preset;
      if (config.layers && config.layers.length) {
        config.layers.forEach(function (l) {
          L.tileLayer(l.url, {
            subdomains: l.subdomains, maxZoom: 19, maxNativeZoom: l.maxZoom,
            attribution: l.attribution || "",
          }).addTo(map);
        });
      } else if (config.streets) {
        new StreetLayer(config.streets, { attribution: config.attribution }).addTo(map);
      }
      return map;
    },
    textLabel: textLabel,
  };
})();
