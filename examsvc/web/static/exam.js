/* The exam screen (考生答题界面). Vendored, no build step, no dependencies.
 *
 * - The paper and the clock come from POST /attempt/start; every change is sent at once through
 *   PUT /attempt/answers/{position} with a per-question seq (the API's own routes; the credentials
 *   ride in HttpOnly cookies, the CSRF token in a header).
 * - Changes not yet acknowledged are kept in localStorage and re-sent in order, one at a time, after
 *   a reload, a crash or a lost link; a stale acknowledgement never overwrites a newer local change.
 * - The countdown follows the server's remaining time measured on performance.now() (a monotonic
 *   clock): the PC's wall clock never enters it.
 * - The same screen serves the spot exam on an officer's phone (逢查必考, /staff/spot/exam): #exam-data's
 *   data-* attributes name its routes and data-mode="spot" turns on what a mine site without signal
 *   needs. A change kept while off line carries the remaining time the device showed when it was made
 *   (made_remaining_ms); time up or a submission off line waits on the device and is sent when the link
 *   is back; the server still decides (a change made after the deadline is refused, and said so).
 */
(function () {
  "use strict";

  var data = document.getElementById("exam-data");
  var conf = data.dataset;
  var KEY = "examsvc:" + (conf.key || conf.admission);
  // Routes: the candidate screen's unless the page names others (the spot exam's).
  var START = [conf.startMethod || "POST", conf.startPath || "/attempt/start"];
  var STATE = conf.statePath || "/attempt";
  var SAVE = conf.savePath || "/attempt/answers/";
  var SUBMIT = conf.submitPath || "/attempt/submit";
  var DONE = conf.donePath || "/ws/result";
  var HOME = conf.homePath || "/ws";
  var SPOT = conf.mode === "spot";
  var CSRF = document.querySelector('meta[name="csrf-token"]').content;
  var TYPES = { true_false: "判断题", single_choice: "单选题", multiple_choice: "多选题" };
  var FONT_STEPS = 4;
  var POLL_MS = 5000, POLL_PAUSED_MS = 2000;
  var WARNINGS = [[900, "剩余时间不足 15 分钟"], [300, "剩余时间不足 5 分钟，请抓紧作答并检查"]];

  var items = [];          // the paper, in paper order
  var answers = [];        // position -> {response, flagged, seq}
  var queue = load("queue", []);  // unacknowledged changes, oldest first: {p, r, f, s[, m, o]}
  var pendingSubmit = SPOT ? load("submit", null) : null;  // spot: a submission kept off line {m}
  var current = 0;
  var sending = false, retryTimer = null, offline = false;
  var paused = false, ended = false, timeUp = false;
  var endAt = null, frozenMs = 0, lastRemaining = null;

  function $(id) { return document.getElementById(id); }
  function load(name, fallback) {
    try { var v = localStorage.getItem(KEY + ":" + name); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  }
  function keep(name, value) {
    try { localStorage.setItem(KEY + ":" + name, JSON.stringify(value)); } catch (e) { /* full: kept in memory */ }
  }
  function forget() {
    ["queue", "pos", "submit"].forEach(function (n) { try { localStorage.removeItem(KEY + ":" + n); } catch (e) { } });
  }

  function api(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": CSRF } };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(path, init);
  }
  function errorOf(response) {
    return response.json().then(function (b) { return b || {}; }, function () { return {}; });
  }

  /* ---------- the clock ---------- */
  function applyClock(clock, sentAt) {
    var now = performance.now();
    var latency = sentAt ? (now - sentAt) / 2 : 0;
    if (clock.status && clock.status !== "in_progress") { finished(); return; }
    var ms = clock.remaining_seconds * 1000;
    if (clock.paused) { frozenMs = ms; setPaused(true); }
    else {
      endAt = now + ms - latency; setPaused(false);
      if (timeUp && ms > 0 && !pendingSubmit) { reopenAfterExtraTime(); }  // a kept submission stays submitted
    }
    tick();
  }
  function remainingMs() {
    if (endAt === null) { return null; }
    return paused ? frozenMs : Math.max(0, endAt - performance.now());
  }
  function text(ms) {
    var s = Math.ceil(ms / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    s = s % 60;
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }
  function tick() {
    var ms = remainingMs();
    if (ms === null) { return; }
    // The DOM is touched only when what it shows changes (once a second): twenty pages on one machine
    // otherwise spend their CPU on layout four times a second.
    var shown = text(ms), clockEl = $("clock"), box = $("clock-box");
    if (clockEl.textContent !== shown) { clockEl.textContent = shown; }
    var seconds = ms / 1000;
    var style = "clock-box" + (seconds <= 300 ? " danger" : seconds <= 900 ? " warn" : "");
    if (box.className !== style) { box.className = style; }
    if (lastRemaining !== null) {
      WARNINGS.forEach(function (w) {
        if (lastRemaining > w[0] && seconds <= w[0]) { warn(w[1]); }
      });
    }
    lastRemaining = seconds;
    if (ms <= 0 && !paused && !ended && !timeUp) { onTimeUp(); }
  }
  function warn(message) {
    var box = $("clock-warning");
    box.textContent = message;
    box.hidden = false;
    announce(message);
    setTimeout(function () { box.hidden = true; }, 15000);
  }
  function announce(message) {
    var region = $("announce");
    region.textContent = "";
    setTimeout(function () { region.textContent = message; }, 50);
  }

  /* ---------- the server's state, polled for pauses, extra time and the end ---------- */
  function ask() {
    if (ended) { return Promise.resolve(); }
    var sentAt = performance.now();
    return api("GET", STATE).then(function (response) {
      if (response.ok) { setOffline(false); return response.json().then(function (b) { applyClock(b.clock, sentAt); }); }
      return errorOf(response).then(function (e) { refused(response, e); });
    }, function () { setOffline(true); });
  }
  function poll() { ask().then(schedulePoll, schedulePoll); }
  function schedulePoll() {
    if (!ended) { setTimeout(poll, paused || timeUp ? POLL_PAUSED_MS : POLL_MS); }
  }
  function refused(response, e) {
    if (SPOT && e.error === "time_up") { return false; }  // one late change refused: said, dropped (pump)
    if (SPOT && e.error === "not_handed_over") { ended = true; location.assign(HOME); return true; }
    if (e.error === "time_up" || e.error === "attempt_submitted") { finished(); return true; }
    if (e.error === "attempt_paused") { setPaused(true); return true; }
    if (e.error === "csrf_failed") { location.reload(); return true; }
    if (response.status === 401 || e.error === "wrong_workstation") {
      ended = true;
      if (SPOT) { showEnd("执法人员登录已失效", "已送达服务器的答案不会丢失。请将设备交还执法人员重新登录。"); }
      else { showEnd("本机考生登录已结束", "您的登录已由监考员结束（例如调换座位）。已保存的答案不会丢失，请听从监考员安排。"); }
      setTimeout(function () { location.assign(HOME); }, 4000);
      return true;
    }
    if (response.status >= 500 || response.status === 408 || response.status === 429) { setOffline(true); return true; }
    return false;
  }
  function setPaused(on) {
    if (paused === on) { return; }
    paused = on;
    $("pause-overlay").hidden = !on;
    $("layout").inert = on || ended;
    $("submit-open").disabled = on || ended;
    if (on) { $("pause-box").focus(); announce("考试已暂停"); }
    else { announce("考试已恢复，请继续作答"); pump(); focusQuestion(); }
  }
  function setOffline(on) {
    if (offline === on) { return; }
    offline = on;
    if (on && SPOT) { markKept(); }
    $("offline-banner").hidden = !on;
    showSaveState();
  }

  /* ---------- saving ---------- */
  // Spot: every change waiting while the link is down is one "kept off line": it will carry the remaining
  // time the device showed when it was made, which is what the server checks after the deadline.
  function markKept() {
    queue.forEach(function (q) { q.o = true; });
    keep("queue", queue);
  }
  function madeRemaining() { var ms = remainingMs(); return ms === null ? null : Math.ceil(ms); }
  function pendingFor(p) { return queue.some(function (q) { return q.p === p; }); }
  function change(p, response, flagged) {
    if (ended || timeUp || paused) { return; }
    var a = answers[p];
    var top = a.seq;
    queue.forEach(function (q) { if (q.p === p && q.s > top) { top = q.s; } });
    a.response = response; a.flagged = flagged; a.seq = top + 1;
    var entry = { p: p, r: response, f: flagged, s: a.seq };
    if (SPOT) { entry.m = madeRemaining(); entry.o = offline; }
    queue.push(entry);
    keep("queue", queue);
    render();
    pump();
  }
  function pump() {
    if (sending || !queue.length || paused || ended) { return; }
    sending = true;
    var entry = queue[0];
    var sentAt = performance.now();
    var body = { response: entry.r, seq: entry.s, flagged: entry.f };
    if (SPOT && entry.o && entry.m) { body.made_remaining_ms = entry.m; }
    api("PUT", SAVE + entry.p, body).then(
      function (response) {
        if (response.ok) {
          return response.json().then(function (body) {
            setOffline(false);
            queue.shift();
            keep("queue", queue);
            var a = answers[entry.p];
            // A stale acknowledgement (an older seq, or a newer one stored by another tab) only wins
            // when nothing newer is waiting here.
            if (!body.accepted && body.answer.seq >= a.seq && !pendingFor(entry.p)) {
              a.response = body.answer.response; a.flagged = body.answer.flagged; a.seq = body.answer.seq;
            }
            applyClock(body.clock, sentAt);
            sending = false;
            render();
            pump();
          });
        }
        return errorOf(response).then(function (e) {
          sending = false;
          if (!refused(response, e)) {   // refused for good (a malformed response): drop it, say so
            queue.shift(); keep("queue", queue);
            if (SPOT && e.error === "time_up") { lateRefused(entry, e); }
            $("save-state").textContent = e.message || "保存失败";
            pump();
          } else if (offline) { retry(); }
        });
      },
      function () { sending = false; setOffline(true); retry(); });
  }
  function lateRefused(entry, e) {   // spot: the server refused a change as made after the deadline
    var box = $("refused-banner");
    if (box) {
      box.textContent = "第 " + (entry.p + 1) + " 题的修改未被接收：" + (e.message || "作答时间已到。");
      box.hidden = false;
    }
    announce("第 " + (entry.p + 1) + " 题的修改因超过作答时间未被接收");
  }
  function retry() {
    if (retryTimer) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; pump(); }, 1000);
  }
  window.addEventListener("online", function () { pump(); if (pendingSubmit) { sendKeptSubmit(); } });

  /* ---------- the question panel ---------- */
  function optionsOf(item) {
    if (item.type === "true_false") { return [{ label: "T", text: "正确" }, { label: "F", text: "错误" }]; }
    return item.options;
  }
  function show(p) {
    current = Math.max(0, Math.min(items.length - 1, p));
    keep("pos", current);
    var item = items[current];
    $("q-number").textContent = "第 " + (current + 1) + " 题 / 共 " + items.length + " 题";
    $("q-type").textContent = TYPES[item.type] || item.type;
    $("q-stem").textContent = item.stem;
    var list = $("q-option-list");
    list.textContent = "";
    var multi = item.type === "multiple_choice";
    optionsOf(item).forEach(function (o) {
      var label = document.createElement("label");
      label.className = "option";
      var input = document.createElement("input");
      input.type = multi ? "checkbox" : "radio";
      input.name = "answer";
      input.value = o.label;
      input.addEventListener("change", function () { choose(o.label, input.checked); });
      var letter = document.createElement("span");
      letter.className = "letter";
      letter.textContent = o.label;
      var body = document.createElement("span");
      body.className = "option-text";
      body.textContent = o.text;
      label.appendChild(input); label.appendChild(letter); label.appendChild(body);
      list.appendChild(label);
    });
    $("q-legend").textContent = multi ? "选项（可多选）" : "选项（单选）";
    $("prev").disabled = current === 0;
    $("next").disabled = current === items.length - 1;
    render();
  }
  function choose(label, on) {
    var item = items[current], a = answers[current];
    var response;
    if (item.type === "multiple_choice") {
      var set = a.response.split("").filter(function (l) { return l !== label; });
      if (on) { set.push(label); }
      response = set.sort().join("");
    } else {
      response = on ? label : "";
    }
    if (response !== a.response) { change(current, response, a.flagged); }
  }
  function toggleChoice(label) {
    var item = items[current], a = answers[current];
    if (!optionsOf(item).some(function (o) { return o.label === label; })) { return; }
    var on = item.type === "multiple_choice" ? a.response.indexOf(label) < 0 : true;
    choose(label, on);
  }
  function toggleFlag() { change(current, answers[current].response, !answers[current].flagged); }
  function render() {
    if (!items.length) { return; }
    var a = answers[current];
    Array.prototype.forEach.call($("q-option-list").querySelectorAll("input"), function (input) {
      input.checked = a.response.indexOf(input.value) >= 0;
      input.disabled = ended || timeUp || paused;
      input.parentNode.classList.toggle("chosen", input.checked);
    });
    $("flag").setAttribute("aria-pressed", a.flagged ? "true" : "false");
    $("flag").textContent = a.flagged ? "取消标记" : "标记";
    $("q-flagged").hidden = !a.flagged;
    showSaveState();
    renderNavigator();
  }
  function showSaveState() {
    if (!items.length) { return; }
    var a = answers[current], el = $("save-state"), shown, style;
    if (pendingFor(current)) { shown = offline ? "未发送（已存本机）" : "保存中"; style = "save-state pending"; }
    else if (a.seq > 0) { shown = "已保存"; style = "save-state saved"; }
    else { shown = ""; style = "save-state"; }
    if (el.textContent !== shown) { el.textContent = shown; }
    if (el.className !== style) { el.className = style; }
  }
  function renderNavigator() {
    var list = $("nav-list"), answered = 0, flagged = 0;
    if (list.children.length !== items.length) {
      list.textContent = "";
      items.forEach(function (_, p) {
        var li = document.createElement("li");
        var b = document.createElement("button");
        b.type = "button";
        b.addEventListener("click", function () { show(p); focusQuestion(); });
        li.appendChild(b);
        list.appendChild(li);
      });
    }
    items.forEach(function (_, p) {
      var a = answers[p], b = list.children[p].firstChild;
      var done = a.response !== "";
      answered += done ? 1 : 0; flagged += a.flagged ? 1 : 0;
      var style = "nav" + (done ? " answered" : " unanswered") + (a.flagged ? " flagged" : "") +
        (p === current ? " current" : "");
      if (b.className === style) { return; }  // unchanged: no DOM work (see tick)
      b.className = style;
      b.textContent = (p + 1) + " " + (done ? "●" : "○") + (a.flagged ? "★" : "");
      b.setAttribute("aria-label", "第" + (p + 1) + "题，" + (done ? "已答" : "未答") + (a.flagged ? "，已标记" : ""));
      if (p === current) { b.setAttribute("aria-current", "true"); } else { b.removeAttribute("aria-current"); }
    });
    var counts = "已答 " + answered + " / " + items.length + "，标记 " + flagged;
    if ($("nav-counts").textContent !== counts) { $("nav-counts").textContent = counts; }
  }
  function focusQuestion() { $("main").focus({ preventScroll: true }); }

  /* ---------- keyboard ---------- */
  // A field one types into (the officer's password on the phone page) keeps its keys.
  function isTyping(target) {
    return target instanceof HTMLInputElement && (target.type === "text" || target.type === "password");
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || !items.length || paused || ended || timeUp) { return; }
    if (document.querySelector("dialog[open]") || isTyping(event.target)) { return; }
    var k = event.key;
    if (k === "ArrowLeft" || k === "PageUp") { show(current - 1); event.preventDefault(); return; }
    if (k === "ArrowRight" || k === "PageDown") { show(current + 1); event.preventDefault(); return; }
    if (k.length !== 1) { return; }
    var upper = k.toUpperCase();
    var item = items[current];
    if (upper === "M") { toggleFlag(); event.preventDefault(); return; }
    if (item.type === "true_false") {
      if (upper === "T" || upper === "F") { toggleChoice(upper); event.preventDefault(); }
      else if (k === "1" || k === "2") { toggleChoice(k === "1" ? "T" : "F"); event.preventDefault(); }
      return;
    }
    if (upper >= "A" && upper <= "H") { toggleChoice(upper); event.preventDefault(); }
    else if (k >= "1" && k <= "8") { toggleChoice(String.fromCharCode(64 + Number(k))); event.preventDefault(); }
  });

  /* ---------- font size, kept across reloads ---------- */
  var font = 1;
  function setFont(step) {
    font = Math.max(0, Math.min(FONT_STEPS - 1, step));
    for (var i = 0; i < FONT_STEPS; i++) { document.body.classList.toggle("font-" + i, i === font); }
    try { localStorage.setItem("examsvc:font", JSON.stringify(font)); } catch (e) { }
    $("font-down").disabled = font === 0;
    $("font-up").disabled = font === FONT_STEPS - 1;
  }
  try { font = JSON.parse(localStorage.getItem("examsvc:font") || "1"); } catch (e) { font = 1; }
  setFont(font);
  $("font-down").addEventListener("click", function () { setFont(font - 1); });
  $("font-up").addEventListener("click", function () { setFont(font + 1); });

  /* ---------- a deterrent only: no copying or right-click on the paper ---------- */
  ["copy", "cut", "contextmenu", "selectstart", "dragstart"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (!isTyping(event.target)) { event.preventDefault(); }
    });
  });

  /* ---------- 交卷 ---------- */
  function numbers(list) { return list.map(function (p) { return p + 1; }).join("、"); }
  function openSubmit() {
    var unanswered = [], flagged = [];
    answers.forEach(function (a, p) { if (a.response === "") { unanswered.push(p); } if (a.flagged) { flagged.push(p); } });
    var box = $("submit-summary");
    box.textContent = "";
    [["未答题 " + unanswered.length + " 道", unanswered, "submit-unanswered"],
     ["已标记 " + flagged.length + " 道", flagged, "submit-flagged"]].forEach(function (row) {
      var p = document.createElement("p");
      p.id = row[2];
      p.textContent = row[0] + (row[1].length ? "：第 " + numbers(row[1]) + " 题" : "");
      box.appendChild(p);
    });
    var last = document.createElement("p");
    last.textContent = "交卷后不能再修改答案。确定交卷吗？";
    box.appendChild(last);
    $("submit-error").hidden = true;
    $("submit-dialog").showModal();
  }
  function waitForQueue(limitMs) {
    var until = performance.now() + limitMs;
    return new Promise(function (resolve) {
      (function check() {
        if (!queue.length || performance.now() > until) { resolve(!queue.length); return; }
        pump();
        setTimeout(check, 100);
      })();
    });
  }
  // Spot: a submission without a link waits on the device with the changes, and carries the remaining
  // time shown when the person pressed 确认交卷.
  function keepSubmission(m) {
    pendingSubmit = { m: m };
    keep("submit", pendingSubmit);
    keptOffline("已交卷（保存在本设备）", "网络暂时中断：答案和交卷已保存在本设备，网络恢复后将自动发送。请勿关闭本页面，并将设备交还执法人员。");
    sendKeptSubmit();
  }
  function confirmSubmit() {
    $("submit-confirm").disabled = true;
    var pressedAt = SPOT ? madeRemaining() : null;
    if (SPOT && offline) { keepSubmission(pressedAt); return; }
    waitForQueue(8000).then(function (flushed) {
      if (!flushed && SPOT) { keepSubmission(pressedAt); return; }
      if (!flushed) {
        $("submit-error").textContent = "还有 " + queue.length + " 个答案尚未送达服务器（已存本机），请待网络恢复后再交卷。";
        $("submit-error").hidden = false;
        $("submit-confirm").disabled = false;
        return;
      }
      api("POST", SUBMIT, { confirm: true }).then(function (response) {
        if (response.ok) { ended = true; forget(); location.assign(DONE); return; }
        return errorOf(response).then(function (e) {
          if (!refused(response, e)) {
            $("submit-error").textContent = e.message || "交卷失败，请重试。";
            $("submit-error").hidden = false;
          }
          $("submit-confirm").disabled = false;
        });
      }, function () {
        setOffline(true);
        if (SPOT) { keepSubmission(pressedAt); return; }
        $("submit-error").textContent = "网络连接中断，暂时无法交卷，请稍后重试。";
        $("submit-error").hidden = false;
        $("submit-confirm").disabled = false;
      });
    });
  }

  /* ---------- the end ---------- */
  function showEnd(title, message) {
    $("end-title").textContent = title;
    $("end-text").textContent = message;
    $("end-overlay").hidden = false;
    $("layout").inert = true;
    if ($("submit-dialog").open) { $("submit-dialog").close(); }
    $("end-box").focus();
  }
  function onTimeUp() {
    timeUp = true;
    render();
    if (SPOT) {   // no sweeper seals a spot exam: the device sends what it kept, then the submission
      if (!pendingSubmit) { pendingSubmit = {}; keep("submit", pendingSubmit); }
      if (offline) {
        keptOffline("考试时间到", "考试时间已到。网络暂时中断：答案已保存在本设备，网络恢复后将自动发送并交卷。请勿关闭本页面。");
      } else {
        showEnd("考试时间到", "考试时间已到，系统正在自动交卷，请勿关闭本页面……");
      }
      announce("考试时间到");
      sendKeptSubmit();
      return;
    }
    showEnd("考试时间到", "考试时间已到，系统正在自动交卷，请勿关闭本页面……");
    announce("考试时间到，系统自动交卷");
    waitForQueue(4000).then(ask);  // once now; the regular polling goes on every 2 s until the seal
  }
  function reopenAfterExtraTime() {   // extra time granted at the last moment
    timeUp = false;
    $("end-overlay").hidden = true;
    $("layout").inert = paused;
    render();
  }
  function finished() {
    if (ended) { return; }
    ended = true;
    forget();
    location.assign(DONE);
  }
  function keptOffline(title, message) {
    timeUp = true;
    render();
    showEnd(title, message);
  }
  // Spot: once every kept change is through, the submission (with the remaining time the device showed
  // when it was made off line); retried every 2 s until the server answers.
  var submitting = false;
  function sendKeptSubmit() {
    if (submitting || ended || !pendingSubmit) { return; }
    submitting = true;
    waitForQueue(4000).then(function (flushed) {
      if (!flushed) { submitting = false; setTimeout(sendKeptSubmit, 2000); return; }
      var body = { confirm: true };
      if (pendingSubmit.m) { body.made_remaining_ms = pendingSubmit.m; }
      api("POST", SUBMIT, body).then(function (response) {
        submitting = false;
        if (response.ok) { finished(); return; }
        return errorOf(response).then(function (e) {
          if (e.error === "attempt_submitted") { finished(); return; }
          if (!refused(response, e)) { $("end-text").textContent = e.message || "交卷失败，正在重试……"; }
          setTimeout(sendKeptSubmit, 2000);
        });
      }, function () { submitting = false; setOffline(true); setTimeout(sendKeptSubmit, 2000); });
    });
  }

  // Spot: what the device still holds for the server, for the officer's unlock (static/spot-unlock.js). Taking
  // the device back leaves this page, and after the deadline the exam cannot be handed over again to send it.
  if (SPOT) {
    window.examsvcSpot = {
      pending: function () { return queue.length + (pendingSubmit && !ended ? 1 : 0); },
      flush: function (limitMs) {   // resolves true once everything kept has reached the server
        var until = performance.now() + limitMs;
        return new Promise(function (resolve) {
          (function check() {
            var left = window.examsvcSpot.pending();
            if (!left || performance.now() > until) { resolve(!left); return; }
            pump();
            if (!queue.length && pendingSubmit) { sendKeptSubmit(); }
            setTimeout(check, 200);
          })();
        });
      }
    };
  }

  /* ---------- start ---------- */
  function begin() {
    var sentAt = performance.now();
    api(START[0], START[1]).then(function (response) {
      if (!response.ok) {
        return errorOf(response).then(function (e) {
          if (refused(response, e)) { return; }
          $("loading").textContent = (e.message || "无法开始答题。") + " 请联系监考员。";
          var back = document.createElement("a");
          back.href = HOME; back.textContent = "返回";
          $("loading").appendChild(document.createTextNode(" ")); $("loading").appendChild(back);
        });
      }
      return response.json().then(function (body) {
        items = body.items;
        answers = items.map(function () { return { response: "", flagged: false, seq: 0 }; });
        body.answers.forEach(function (a) { answers[a.position] = { response: a.response, flagged: a.flagged, seq: a.seq }; });
        // What this browser changed and the server has not acknowledged yet is newer: shown and re-sent.
        queue = queue.filter(function (q) { return q.p < items.length && q.s > answers[q.p].seq; });
        queue.forEach(function (q) { var a = answers[q.p]; if (q.s > a.seq) { a.response = q.r; a.flagged = q.f; a.seq = q.s; } });
        keep("queue", queue);
        $("loading").hidden = true;
        $("question").hidden = false;
        var saved = load("pos", null);
        show(saved !== null ? Number(saved) : Number(data.dataset.resume || 0));
        applyClock(body.clock, sentAt);
        setInterval(tick, 250);
        schedulePoll();
        pump();
        if (pendingSubmit) { keptOffline("已交卷（保存在本设备）", "答案和交卷已保存在本设备，网络恢复后将自动发送。请勿关闭本页面。"); sendKeptSubmit(); }
        focusQuestion();
      });
    }, function () {
      $("loading").textContent = "无法连接服务器，正在重试……";
      setTimeout(begin, 2000);
    });
  }

  $("prev").addEventListener("click", function () { show(current - 1); });
  $("next").addEventListener("click", function () { show(current + 1); });
  $("flag").addEventListener("click", toggleFlag);
  $("submit-open").addEventListener("click", openSubmit);
  $("submit-cancel").addEventListener("click", function () { $("submit-dialog").close(); });
  $("submit-confirm").addEventListener("click", confirmSubmit);
  begin();
})();
