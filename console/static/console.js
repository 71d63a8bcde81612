// The queue polls /console/queue.json with the page's own filters and redraws the list when
// something changed, so new cases and applications appear without a reload. Text goes in with
// textContent only (never as HTML): a worker's words cannot become markup.
(function () {
  "use strict";
  var box = document.getElementById("queue");
  if (!box) { return; }
  var fresh = document.getElementById("fresh");
  var every = 15000;
  var known = numbers(box.querySelectorAll("[data-number]"));

  function numbers(nodes) {
    var out = [];
    for (var i = 0; i < nodes.length; i++) { out.push(nodes[i].getAttribute("data-number")); }
    return out.join(",");
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function draw(data) {
    box.textContent = "";
    if (data.overdue) {
      var late = el("p", "alert", "有 " + data.overdue + " 条求助已超时未认领，请优先处理。");
      late.setAttribute("role", "status");
      box.appendChild(late);
    }
    if (!data.rows.length) {
      box.appendChild(el("p", "empty", "这里暂时没有事项。辛苦了！"));
      return;
    }
    var list = el("ul", "queue");
    data.rows.forEach(function (row) {
      var item = el("li", "item" + (row.overdue ? " overdue" : ""));
      item.setAttribute("data-number", row.number);
      var link = el("a");
      link.href = row.url;
      link.appendChild(el("span", "tag tag-" + row.kind, row.label));
      if (row.overdue) { link.appendChild(el("span", "tag late", "已超时")); }
      link.appendChild(el("span", "num", row.number));
      link.appendChild(el("span", "sum", row.summary));
      link.appendChild(el("span", "meta", row.status + " · " + row.at));
      item.appendChild(link);
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function poll() {
    var url = box.getAttribute("data-poll") + window.location.search;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (!data.signed_in) { window.location.reload(); return; }
        var now = data.rows.map(function (r) { return r.number; }).join(",");
        if (now !== known) {
          var before = known ? known.split(",") : [];
          var added = data.rows.filter(function (r) { return before.indexOf(r.number) < 0; });
          known = now;
          draw(data);
          if (added.length) {
            fresh.textContent = "新到 " + added.length + " 条：" +
              added.map(function (r) { return r.number; }).join("、");
            fresh.hidden = false;
          }
        }
      })
      .catch(function () { /* offline for a moment: the next round tries again */ })
      .then(function () { window.setTimeout(poll, every); });
  }

  window.setTimeout(poll, every);
  window.yizhanQueuePoll = poll; // tests and impatient people can poll now
})();
