/* The station form: as the hours are typed, show how the system reads them and whether the
   station would be open now (GET /console/stations/hours.json). */
(function () {
  "use strict";
  var input = document.getElementById("f-hours");
  var out = document.getElementById("f-hours-preview");
  if (!input || !out) { return; }
  var timer = null;
  var asked = 0;
  function check() {
    var mine = ++asked;
    var text = input.value.trim();
    if (!text) { out.textContent = "直接用中文写，如“每天 7:00-21:00”“24小时”。"; out.className = "preview"; return; }
    fetch("/console/stations/hours.json?text=" + encodeURIComponent(text), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (mine !== asked) { return; }
        if (data.ok) {
          out.textContent = "系统读作：" + data.osm + "　" + data.now;
          out.className = "preview";
        } else {
          out.textContent = data.error;
          out.className = "preview bad";
        }
      })
      .catch(function () { /* the form still saves; the server checks again */ });
  }
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 250); });
  if (input.value.trim()) { check(); }
})();
