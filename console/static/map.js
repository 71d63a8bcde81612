/* The console's maps: Leaflet (served by this server) over the configured tiles. Markers,
   boundaries and coverage gaps come from this server as JSON in the tiles' coordinate system,
   so they show even when no tile can be loaded. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var note = document.getElementById("map-note");
  var COLORS = { open: "#1a7f37", closed: "#8c959f", suspended: "#b35900", reported: "#c8102e" };
  var LABELS = { open: "现在开放", closed: "现在不开放", suspended: "暂停", reported: "有人反映未开放" };
  var map = L.map(el, { preferCanvas: true, zoomControl: true }).setView([40.82, 111.66], 11);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 18, attribution: "底图" }).addTo(map);
  }
  var markers = L.layerGroup().addTo(map);
  var fitted = false;
  var fitToStations = !el.dataset.boundaries;

  function say(text) { if (note) { note.textContent = text; } }
  function get(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function drawStations(data) {
    markers.clearLayers();
    var points = [];
    data.stations.forEach(function (s) {
      var m = L.circleMarker(s.at, {
        radius: 7, color: "#222", weight: 1, fillColor: COLORS[s.state] || "#555", fillOpacity: 0.9
      });
      m.bindPopup('<a href="/console/stations/' + s.id + '">' + esc(s.name) + "</a><br>" +
        LABELS[s.state] + "<br>" + esc(s.hours));
      m.options.title = s.name;
      markers.addLayer(m);
      points.push(s.at);
    });
    el.dataset.markers = String(data.stations.length);
    if (!fitted && fitToStations && points.length) {
      fitted = true;
      if (points.length === 1) { map.setView(points[0], 15, { animate: false }); }
      else { map.fitBounds(L.latLngBounds(points).pad(0.2), { maxZoom: 15, animate: false }); }
    }
    say(data.left_out ? "地图上显示了 " + data.stations.length + " 个驿站，放大地图可以看到其余 " +
      data.left_out + " 个。" : "地图上显示了 " + data.stations.length + " 个驿站。");
  }
  function noOutlines() { fitToStations = true; loadStations(); }
  function loadStations() {
    var url = el.dataset.points;
    if (!url) { return; }
    if (url.indexOf("?") < 0) {
      var b = map.getBounds();
      url += "?bbox=" + [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]
        .map(function (v) { return v.toFixed(5); }).join(",");
    }
    get(url).then(drawStations).catch(function () { say("驿站位置暂时读不出来，请刷新页面。"); });
  }
  if (el.dataset.boundaries) {
    get(el.dataset.boundaries).then(function (fc) {
      var layer = L.geoJSON(fc, { style: { color: "#0b5cad", weight: 2, fill: false }, interactive: false });
      layer.addTo(map);
      el.dataset.boundaryCount = String(fc.features.length);
      if (fc.features.length) { map.fitBounds(layer.getBounds()); } else { noOutlines(); }
    }).catch(noOutlines);
  }
  if (el.dataset.gaps) {
    get(el.dataset.gaps).then(function (data) {
      var layer = L.layerGroup();
      data.gaps.forEach(function (g) {
        layer.addLayer(L.circleMarker(g.at, {
          radius: 3, stroke: false, fillColor: g.stations ? "#f2b705" : "#c8102e", fillOpacity: 0.6,
          interactive: false
        }));
      });
      layer.addTo(map);
      el.dataset.gapCount = String(data.gaps.length);
    }).catch(function () { /* shown as the table above */ });
  }
  var pending = null;
  map.on("moveend", function () {
    if (el.dataset.points && el.dataset.points.indexOf("?") < 0) {
      clearTimeout(pending);
      pending = setTimeout(loadStations, 250);
    }
  });
  if (el.dataset.points && el.dataset.points.indexOf("?") >= 0) { loadStations(); }
  else if (!el.dataset.boundaries) { loadStations(); }
  /* with boundaries: the view fits them first, and its moveend loads the stations */
})();
