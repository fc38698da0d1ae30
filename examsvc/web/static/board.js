/* The province board (巡考看板): GET /inspection/board every 5 s; search, filter and pages in the page. */
(function () {
  "use strict";
  var root = document.getElementById("board"), body = document.getElementById("board-rows");
  var size = parseInt(root.dataset.pageSize, 10), statusLabels = JSON.parse(root.dataset.status);
  var search = document.getElementById("board-search"), filter = document.getElementById("board-filter");
  var live = document.getElementById("live-status"), info = document.getElementById("page-info");
  var prev = document.getElementById("page-prev"), next = document.getElementById("page-next");
  var page = 0, rooms = null, POLL_MS = 5000;

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }
  function matches(r) {
    var q = search.value.trim().toLowerCase(), f = filter.value;
    var text = (r.site + " " + r.sitting + " " + r.title + " " + r.room + " " + r.room_name).toLowerCase();
    if (q && text.indexOf(q) < 0) { return false; }
    if (f === "paused") { return r.room_paused; }
    if (f === "short") { return r.status === "open" && r.proctors_present < r.proctors_required; }
    if (f === "incidents") { return r.incidents_30min > 0; }
    return true;
  }
  function row(r) {
    var tr = el("tr"), sitting = el("td", r.sitting), state = el("td", statusLabels[r.status] || r.status);
    sitting.appendChild(el("br"));
    sitting.appendChild(el("span", r.title, "small"));
    if (r.room_paused) { state.appendChild(document.createTextNode(" ")); state.appendChild(el("span", "全场暂停", "board-paused")); }
    var link = el("a", "查看"), where = el("td");
    link.href = "/staff/inspector/" + encodeURIComponent(r.sitting) + "/rooms/" + encodeURIComponent(r.room);
    link.appendChild(el("span", r.sitting + " 第" + r.room + "考场座位图", "sr-only"));
    where.appendChild(link);
    [el("td", r.site), sitting, el("td", r.room_name + "（" + r.room + "）"), state,
     el("td", r.proctors_present + " / " + r.proctors_required), el("td", String(r.checked_in)),
     el("td", String(r.answering)), el("td", String(r.paused)), el("td", String(r.submitted)),
     el("td", String(r.incidents_30min)), where].forEach(function (td) { tr.appendChild(td); });
    return tr;
  }
  function sum(key) { return rooms.reduce(function (n, r) { return n + r[key]; }, 0); }
  function draw() {
    var shown = rooms.filter(matches), pages = Math.max(1, Math.ceil(shown.length / size));
    page = Math.min(page, pages - 1);
    body.textContent = "";
    shown.slice(page * size, (page + 1) * size).forEach(function (r) { body.appendChild(row(r)); });
    if (!shown.length) { var tr = el("tr"), td = el("td", rooms.length ? "没有符合条件的考场。" : "今天没有考试场次。"); td.colSpan = 11; tr.appendChild(td); body.appendChild(tr); }
    info.textContent = "第 " + (page + 1) + " / " + pages + " 页，共 " + shown.length + " 个考场";
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
    document.getElementById("sum-rooms").textContent = rooms.length;
    document.getElementById("sum-checked").textContent = sum("checked_in");
    document.getElementById("sum-answering").textContent = sum("answering");
    document.getElementById("sum-submitted").textContent = sum("submitted");
    document.getElementById("sum-paused").textContent = rooms.filter(function (r) { return r.room_paused; }).length;
    document.getElementById("sum-short").textContent = rooms.filter(function (r) {
      return r.status === "open" && r.proctors_present < r.proctors_required; }).length;
  }
  function poll() {
    fetch("/inspection/board", { credentials: "same-origin" }).then(function (r) {
      if (r.status === 401) { location.assign("/staff/login?next=/staff/inspector"); return null; }
      return r.json();
    }).then(function (data) {
      if (data && data.rooms) {
        rooms = data.rooms;
        draw();
        live.textContent = "每 5 秒自动更新；最近更新 " + new Date(data.at).toLocaleTimeString("zh-CN", { hour12: false }) + "。";
      }
    }, function () { live.textContent = "无法连接服务器，正在重试……"; }).then(function () { setTimeout(poll, POLL_MS); });
  }
  search.addEventListener("input", function () { page = 0; if (rooms) { draw(); } });
  filter.addEventListener("change", function () { page = 0; if (rooms) { draw(); } });
  prev.addEventListener("click", function () { page -= 1; draw(); });
  next.addEventListener("click", function () { page += 1; draw(); });
  poll();
})();
