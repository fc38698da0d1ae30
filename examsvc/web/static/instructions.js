/* The instructions page: 开始答题 is enabled only while the start would be accepted; the reason shows
 * otherwise (the server's own refusal, asked every 3 s). */
(function () {
  "use strict";
  var button = document.getElementById("start"), why = document.getElementById("start-why");
  function check() {
    fetch("/ws/readiness", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
      if (s.error === "candidate_session_invalid") { location.assign("/ws"); return; }
      button.disabled = !s.ready;
      if (s.ready) { button.removeAttribute("aria-describedby"); why.textContent = "可以开始答题。"; }
      else { button.setAttribute("aria-describedby", "start-why"); why.textContent = s.message; }
      setTimeout(check, 3000);
    }, function () { why.textContent = "无法连接服务器，正在重试……"; setTimeout(check, 3000); });
  }
  button.form.addEventListener("submit", function () { button.disabled = true; button.textContent = "正在进入……"; });
  setTimeout(check, button.disabled ? 1000 : 3000);
})();
