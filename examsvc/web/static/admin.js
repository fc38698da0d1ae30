/* The exam admin's sitting page: upload a candidate list, check and save a staff assignment, make the
 * paper set, each through the API's own route (the login cookie and the CSRF token). */
(function () {
  "use strict";
  var root = document.getElementById("admin-sitting"), code = root.dataset.sitting;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var base = "/sittings/" + encodeURIComponent(code);
  var status = document.getElementById("work-status"), progress = document.getElementById("work-progress");
  function $(id) { return document.getElementById(id); }
  function el(tag, text) { var e = document.createElement(tag); if (text !== undefined) { e.textContent = text; } return e; }
  function busy(text) { status.textContent = text; progress.hidden = false; }
  function done(text) { status.textContent = text; progress.hidden = true; }
  function call(method, url, body, type) {
    var headers = { "X-CSRF-Token": csrf };
    if (type) { headers["Content-Type"] = type; }
    return fetch(url, { method: method, credentials: "same-origin", headers: headers, body: body }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, status: r.status, body: j }; },
                           function () { return { ok: r.ok, status: r.status, body: {} }; });
    }, function () { return { ok: false, status: 0, body: { message: "无法连接服务器。" } }; });
  }
  function json(method, url, data) { return call(method, url, JSON.stringify(data), "application/json"); }

  /* every refused row at once: the API's detail.problems, one table row each */
  function problems(box, answer) {
    box.textContent = "";
    var alert = el("div", "未登记：" + (answer.body.message || "请检查后重试。"));
    alert.className = "error";
    alert.setAttribute("role", "alert");
    box.appendChild(alert);
    var list = (answer.body.detail && answer.body.detail.problems) || [];
    if (!list.length) { return; }
    var table = el("table"), head = el("tr");
    table.className = "list";
    table.id = "refused-rows";
    var caption = el("caption", "被拒绝的行（共 " + list.length + " 处）");
    table.appendChild(caption);
    ["文件", "行", "字段", "问题"].forEach(function (t) { var th = el("th", t); th.scope = "col"; head.appendChild(th); });
    var thead = el("thead"), tbody = el("tbody");
    thead.appendChild(head);
    table.appendChild(thead);
    list.forEach(function (p) {
      var tr = el("tr");
      [p.file + (p.sheet ? "（" + p.sheet + "）" : ""), p.line === undefined ? "—" : "第 " + p.line + " 行",
       p.field || "—", p.message].forEach(function (t) { tr.appendChild(el("td", t)); });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    box.appendChild(table);
  }

  var upload = $("upload-form");
  if (upload) {
    upload.addEventListener("submit", function (e) {
      e.preventDefault();
      var file = $("upload-file").files[0], box = $("upload-result");
      if (!file) { box.textContent = "请选择名单文件。"; return; }
      var type = /\.xlsx$/i.test(file.name) ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv";
      busy("正在上传并逐行检查名单……");
      call("POST", base + "/candidates?filename=" + encodeURIComponent(file.name), file, type).then(function (r) {
        if (r.ok) { done("已登记 " + r.body.length + " 名考生。"); setTimeout(function () { location.reload(); }, 800); return; }
        done("名单未登记。");
        problems(box, r);
        box.querySelector("[role=alert]").focus && box.querySelector("[role=alert]").setAttribute("tabindex", "-1");
      });
    });
  }

  var staffForm = $("staff-form");
  if (staffForm) {
    var result = $("staff-result");
    function assignment() {
      return { user_id: parseInt($("staff-user").value, 10), role: $("staff-role").value, room: $("staff-room").value || null };
    }
    $("staff-filter").addEventListener("input", function () {
      var q = this.value.trim().toLowerCase(), select = $("staff-user"), first = null;
      Array.prototype.forEach.call(select.options, function (o) {
        var show = !q || o.textContent.toLowerCase().indexOf(q) >= 0;
        o.hidden = o.disabled = !show;
        if (show && first === null) { first = o; }
      });
      if (select.selectedOptions[0] && select.selectedOptions[0].disabled && first) { select.value = first.value; }
    });
    function say(text, bad) { result.textContent = ""; var p = el("p", text); p.className = bad ? "error" : "ok"; result.appendChild(p); }
    $("staff-check").addEventListener("click", function () {
      json("POST", base + "/staff/check", assignment()).then(function (r) {
        if (r.ok) { say("没有冲突，可以保存。", false); }
        else { say("有冲突，不能保存：" + (r.body.message || "请检查后重试。"), true); }
      });
    });
    staffForm.addEventListener("submit", function (e) {
      e.preventDefault();
      json("POST", base + "/staff", assignment()).then(function (r) {
        if (r.ok) { say("已保存安排。", false); setTimeout(function () { location.reload(); }, 800); }
        else { say("未保存：" + (r.body.message || "请检查后重试。"), true); }
      });
    });
  }

  var make = $("make-papers");
  if (make) {
    make.addEventListener("click", function () {
      make.disabled = true;
      busy("正在为每名考生组卷并封存，请稍候……");
      json("POST", "/paper-sets", { sitting_code: code }).then(function (r) {
        if (r.ok) { done("已生成试卷集，共 " + r.body.paper_count + " 份。"); setTimeout(function () { location.reload(); }, 800); }
        else { done("未生成：" + (r.body.message || "请稍后重试。")); make.disabled = false; }
      });
    });
  }
})();
