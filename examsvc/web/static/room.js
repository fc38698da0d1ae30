/* The room console (考场监考台) and the read-only room view: the seat map polled every 2 s from
 * GET /sittings/{code}/rooms/{room}/seats; check-in, presence and actions through the API's own routes
 * (the login cookie, plus the CSRF token on writes). Text is set with textContent only. */
(function () {
  "use strict";
  var root = document.getElementById("room-console");
  var code = root.dataset.sitting, room = root.dataset.room, readonly = root.dataset.readonly === "true";
  var labels = JSON.parse(root.dataset.labels), incidentNames = JSON.parse(root.dataset.incidents);
  var zone = root.dataset.zone;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var base = "/sittings/" + encodeURIComponent(code);
  var POLL_MS = 2000;
  var live = document.getElementById("live-status");
  var latest = null;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function api(method, url, body) {
    var init = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(url, init).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, status: r.status, body: j }; },
                           function () { return { ok: r.ok, status: r.status, body: {} }; });
    });
  }
  function clockText(seconds) {
    var s = Math.max(0, Math.floor(seconds)), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    var mm = String(m).padStart(2, "0"), ss = String(s % 60).padStart(2, "0");
    return h ? h + ":" + mm + ":" + ss : m + ":" + ss;
  }
  function localTime(iso) {
    return new Date(iso).toLocaleString("zh-CN", { timeZone: zone, hour12: false });
  }

  function seatBody(s) {
    var frag = document.createDocumentFragment();
    frag.appendChild(el("span", "no", s.seat + "号座"));
    frag.appendChild(document.createTextNode(" "));
    frag.appendChild(el("span", "state", labels[s.state]));
    frag.appendChild(document.createTextNode(" "));
    frag.appendChild(el("span", "who", s.admission_number ? s.name + " " + s.admission_number : (s.bound ? "空座" : "未绑定考试机")));
    var meta = "";
    if (s.items) { meta += "已答 " + s.answered + "/" + s.items; }
    if (s.remaining_seconds !== null) { meta += " · 剩余 " + clockText(s.remaining_seconds); }
    frag.appendChild(document.createTextNode(" "));
    frag.appendChild(el("span", "meta", meta));
    return frag;
  }

  function renderSeat(li, s) {
    li.className = "seat s-" + s.state;
    var focused = li.contains(document.activeElement);
    var holder;
    if (!readonly && s.admission_number) {
      holder = li.querySelector("button.seat-open");
      if (!holder) { li.textContent = ""; holder = el("button", "seat-open"); holder.type = "button";
                     holder.setAttribute("aria-haspopup", "dialog"); li.appendChild(holder); }
    } else {
      holder = li.querySelector("div.seat-body");
      if (!holder) { li.textContent = ""; holder = el("div", "seat-body"); li.appendChild(holder); }
    }
    holder.textContent = "";
    holder.appendChild(seatBody(s));
    if (focused && holder.tagName === "BUTTON" && document.activeElement !== holder) { holder.focus(); }
  }

  function render(map) {
    latest = map;
    var list = $("seatmap");
    map.seats.forEach(function (s) {
      var li = $("seat-" + s.seat);
      if (!li) { li = el("li"); li.id = "seat-" + s.seat; li.dataset.seat = s.seat; list.appendChild(li); }
      renderSeat(li, s);
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-count]"), function (b) {
      b.textContent = map.counts[b.dataset.count] || 0;
    });
    $("proctors-present").textContent = map.proctors_present;
    // The incident list follows the poll on its first page without a search; other pages are fetched.
    if (incidentPage === 1 && !$("incident-search").value.trim()) { showIncidents(map.incidents, map.incident_count, 1, 0); }
    if (!readonly) { freeSeats($("ci-seat")); }
  }

  var incidentPage = 1;
  function showIncidents(list, total, page, pages) {
    var body = $("incidents");
    body.textContent = "";
    list.forEach(function (i) {
      var tr = el("tr");
      [localTime(i.at), incidentNames[i.kind] || i.kind, i.admission_number || "全场", i.reason, i.actor]
        .forEach(function (t) { tr.appendChild(el("td", null, t)); });
      body.appendChild(tr);
    });
    pages = pages || Math.max(1, Math.ceil(total / 20));
    var info = $("incident-info");
    info.textContent = "共 " + total + " 条，每页 20 条，第 " + page + " / " + pages + " 页" +
      (page === 1 && !$("incident-search").value.trim() ? "（最新的在前，自动更新）。" : "。");
    $("incident-prev").disabled = page <= 1;
    $("incident-next").disabled = page >= pages;
  }
  function loadIncidents() {
    var q = $("incident-search").value.trim();
    fetch(base + "/rooms/" + encodeURIComponent(room) + "/incidents?page=" + incidentPage + "&q=" + encodeURIComponent(q),
          { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (d) {
      if (d.incidents) { showIncidents(d.incidents, d.total, d.page, d.pages); }
    });
  }
  $("incident-prev").addEventListener("click", function () { incidentPage -= 1; loadIncidents(); });
  $("incident-next").addEventListener("click", function () { incidentPage += 1; loadIncidents(); });
  $("incident-search").addEventListener("input", function () { incidentPage = 1; loadIncidents(); });

  function freeSeats(select) {
    var keep = select.value;
    select.textContent = "";
    latest.seats.forEach(function (s) {
      if (s.bound && s.state === "absent") {
        var o = el("option", null, s.seat + "号座"); o.value = s.seat; select.appendChild(o);
      }
    });
    // Keep the proctor's choice while it is still free; else the first free seat (never an empty choice).
    if (keep && select.querySelector('option[value="' + keep + '"]')) { select.value = keep; }
    else if (select.options.length) { select.selectedIndex = 0; }
  }

  function poll() {
    fetch(base + "/rooms/" + encodeURIComponent(room) + "/seats", { credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) { location.assign("/staff/login?next=" + encodeURIComponent(location.pathname)); return null; }
        return r.json();
      })
      .then(function (data) {
        if (data && data.map) {
          render(data.map);
          live.textContent = "座位图每 2 秒自动更新；最近更新 " + localTime(data.at) + "。";
        }
      }, function () { live.textContent = "无法连接服务器，正在重试……"; })
      .then(function () { setTimeout(poll, POLL_MS); });
  }
  setTimeout(poll, POLL_MS);
  window.examsvcRefresh = poll;  // for an action's immediate refresh (and the tests' clarity)

  if (readonly) { return; }

  /* presence: the room's workstation carries the workstation cookie; the API checks both */
  var presence = $("presence-button");
  if (presence) {
    presence.addEventListener("click", function () {
      presence.disabled = true;
      api("POST", base + "/presence").then(function (r) {
        if (r.ok) {
          $("presence-state").textContent = "您已于 " + localTime(r.body.checked_in_at) + " 签到到岗。";
          presence.remove();
        } else {
          $("presence-state").textContent = "签到未成功：" + (r.body.message || "请稍后重试。");
          presence.disabled = false;
        }
      });
    });
  }

  /* check-in: a USB ID-card reader types the number and Enter: Enter moves on instead of submitting */
  $("ci-id").addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); $("ci-photo").focus(); }
  });
  $("ci-photo").addEventListener("change", function () {
    var file = this.files && this.files[0];
    if (!file) { return; }
    file.arrayBuffer().then(function (b) { return crypto.subtle.digest("SHA-256", b); }).then(function (d) {
      $("ci-digest").value = Array.prototype.map.call(new Uint8Array(d), function (x) {
        return x.toString(16).padStart(2, "0"); }).join("");
    });
  });
  function showSlip(admission, seat, oneTime) {
    $("slip-admission").textContent = admission;
    $("slip-seat").textContent = seat;
    $("slip-code").textContent = oneTime;
    $("slip-box").hidden = false;
    $("slip-print").focus();
  }
  $("slip-print").addEventListener("click", function () { window.print(); });
  $("checkin-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var error = $("checkin-error");
    error.hidden = true;
    var body = { admission_number: $("ci-admission").value.trim(), id_number: $("ci-id").value.trim().toUpperCase(),
                 photo_digest: $("ci-digest").value.trim().toLowerCase(), room: room,
                 seat: parseInt($("ci-seat").value, 10) };
    api("POST", base + "/check-ins", body).then(function (r) {
      if (r.ok) {
        this_reset();
        showSlip(r.body.admission_number, r.body.seat, r.body.one_time_code);
        poll_now();
      } else {
        error.textContent = "检录未成功：" + (r.body.message || "请检查后重试。");
        error.hidden = false;
      }
    });
  });
  function this_reset() { ["ci-admission", "ci-id", "ci-digest"].forEach(function (id) { $(id).value = ""; });
                          $("ci-photo").value = ""; }
  function poll_now() {
    fetch(base + "/rooms/" + encodeURIComponent(room) + "/seats", { credentials: "same-origin" })
      .then(function (r) { return r.json(); }).then(function (d) { if (d.map) { render(d.map); } });
  }

  /* actions, each through a dialog that says what it will do and asks for the reason */
  var dialog = $("action-dialog"), kind = $("action-kind"), target = null, opener = null;
  var WHAT = {
    "warning": "给予警告，记入考场记录；考生继续作答。",
    "pause": "暂停作答：考生的计时停止，直到“继续作答”。",
    "resume": "继续作答：暂停的时间全部补回。",
    "extra-time": "延长考试时间（分钟数见上）。",
    "move": "换到新座位的考试机：答案保留，计时暂停；考生须用新登录码在新考试机上登录，再由您“继续作答”。",
    "reopen": "重新登录：原会话作废，计时暂停；考生须用新登录码登录，再由您“继续作答”。",
    "removal": "取消考试资格：答卷立即收回，本场成绩无效。此操作不可撤销。"
  };
  var ROOM_WHAT = { "pause": "暂停本考场所有正在作答的考生，计时停止。", "resume": "本考场所有暂停的考生继续作答，暂停时间补回。" };
  function describe() {
    var k = kind.value;
    $("action-minutes-box").hidden = k !== "extra-time";
    $("action-seat-box").hidden = k !== "move";
    var what = target.room ? ROOM_WHAT[k] : WHAT[k];
    if (k === "extra-time") { what = "延长考试时间 " + $("action-minutes").value + " 分钟。"; }
    if (k === "move") { what = "换到 " + $("action-seat").value + " 号座的考试机：答案保留，计时暂停；考生须用新登录码在新考试机上登录，再由您“继续作答”。"; }
    $("action-confirm").textContent = "将要执行：" + (target.room ? "第" + room + "考场全场" : target.label) + " —— " + what;
  }
  function open(t, kinds) {
    target = t;
    opener = document.activeElement;
    $("action-target").textContent = t.room ? "对象：第" + room + "考场全场" : "对象：" + t.label;
    Array.prototype.forEach.call(kind.options, function (o) { o.hidden = o.disabled = kinds.indexOf(o.value) < 0; });
    kind.value = kinds[0];
    $("action-reason").value = "";
    $("action-error").hidden = true;
    if (!t.room) { freeSeats($("action-seat")); }
    describe();
    dialog.showModal();
    kind.focus();
  }
  kind.addEventListener("change", describe);
  $("action-reason").addEventListener("input", function () { $("action-error").hidden = true; });
  $("action-minutes").addEventListener("input", describe);
  $("action-seat").addEventListener("change", describe);
  $("action-cancel").addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("close", function () { if (opener && opener.focus) { opener.focus(); } });
  $("seatmap").addEventListener("click", function (e) {
    var button = e.target.closest("button.seat-open");
    if (!button || !latest) { return; }
    var number = parseInt(button.parentNode.dataset.seat, 10);
    var s = latest.seats.filter(function (x) { return x.seat === number; })[0];
    if (!s || !s.admission_number) { return; }
    var kinds = s.state === "paused" ? ["resume", "warning", "extra-time", "move", "reopen", "removal"]
      : ["warning", "pause", "resume", "extra-time", "move", "reopen", "removal"];
    open({ admission: s.admission_number, seat: s.seat,
           label: s.name + "（准考证号 " + s.admission_number + "，" + s.seat + "号座）" }, kinds);
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-room-action]"), function (b) {
    b.addEventListener("click", function () { open({ room: true }, [b.dataset.roomAction]); });
  });
  $("action-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var reason = $("action-reason").value.trim(), error = $("action-error");
    if (!reason) { error.textContent = "请填写原因。"; error.hidden = false; $("action-reason").focus(); return; }
    var k = kind.value, body = { reason: reason }, url;
    if (target.room) {
      url = base + "/rooms/" + encodeURIComponent(room) + "/" + k;
    } else {
      url = base + "/attempts/" + encodeURIComponent(target.admission) + "/" + k;
      if (k === "extra-time") { body.minutes = parseInt($("action-minutes").value, 10); }
      if (k === "move") { body.seat = parseInt($("action-seat").value, 10); }
    }
    $("action-go").disabled = true;
    api("POST", url, body).then(function (r) {
      $("action-go").disabled = false;
      if (!r.ok) { error.textContent = "未执行：" + (r.body.message || "请稍后重试。"); error.hidden = false; return; }
      dialog.close();
      live.textContent = "已执行：" + kind.options[kind.selectedIndex].text + "。";
      if (r.body.one_time_code) { showSlip(r.body.admission_number, k === "move" ? body.seat : target.seat, r.body.one_time_code); }
      poll_now();
    });
  });
})();
