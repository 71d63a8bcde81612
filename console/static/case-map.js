// The case page's map: one marker where the worker was (already in the tiles' coordinate
// system), over the configured tiles. With no tile server reachable the marker still shows.
(function () {
  "use strict";
  var el = document.getElementById("case-map");
  if (!el || !window.L) { return; }
  var at = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lng)];
  if (isNaN(at[0]) || isNaN(at[1])) { return; }
  var map = L.map(el, { zoomControl: true, scrollWheelZoom: false }).setView(at, 15);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 18, attribution: "底图" }).addTo(map);
  }
  L.circleMarker(at, {
    radius: 9, color: "#222", weight: 2, fillColor: "#c8102e", fillOpacity: 0.9
  }).addTo(map).bindTooltip("求助地点", { permanent: false });
})();
