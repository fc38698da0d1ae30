/* The inspection page's roster upload (逢查必考): the file goes to the API's own route
 * (POST /spot/inspections/{id}/roster-file, the console's cookie and the CSRF header); every problem of
 * every row is listed, or the page reloads with the new list. The typed rows need no script. On every
 * spot console page the refusal's message takes the focus. */
(function () {
  "use strict";
  // Focus goes to the message a form's refusal left (data-focus), so a screen reader reads it first.
  var message = document.querySelector("[data-focus]");
  if (message) { message.focus(); }
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var CSRF = document.querySelector('meta[name="csrf-token"]').content;
  var box = document.getElementById("upload-result");
  function say(text, bad) {
    box.textContent = "";
    var p = document.createElement("p");
    p.className = bad ? "error" : "ok";
    p.setAttribute("role", bad ? "alert" : "status");
    p.textContent = text;
    box.appendChild(p);
    return p;
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = document.getElementById("upload-file").files[0];
    if (!file) { say("请选择名单文件（.xlsx 或 .csv）。", true); return; }
    say("正在上传并逐行检查名单……", false);
    var url = "/spot/inspections/" + form.dataset.inspection + "/roster-file?filename=" + encodeURIComponent(file.name);
    fetch(url, { method: "POST", credentials: "same-origin", body: file,
                 headers: { "X-CSRF-Token": CSRF, "Content-Type": "application/octet-stream" } }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body || {} }; },
                           function () { return { ok: r.ok, body: {} }; });
    }).then(function (r) {
      if (r.ok) { say("名单已保存：" + r.body.roster_size + " 人。", false); location.assign(location.pathname + "?done=roster"); return; }
      var p = say("名单未保存：" + (r.body.message || "请检查文件后重试。"), true);
      var problems = (r.body.detail && r.body.detail.problems) || [];
      if (problems.length) {
        var ul = document.createElement("ul");
        problems.forEach(function (q) {
          var li = document.createElement("li");
          li.textContent = (q.line ? "第 " + q.line + " 行" : "") + (q.field ? "“" + q.field + "”" : "") + "：" + q.message;
          ul.appendChild(li);
        });
        p.appendChild(ul);
      }
    }, function () { say("网络连接中断，名单未上传，请稍后重试。", true); });
  });
})();
