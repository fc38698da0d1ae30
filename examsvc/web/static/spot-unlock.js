/* The spot exam's "交还设备 / 执法人员解锁": opens the officer's password form as a modal dialog; a page
 * that comes back with a refused password opens it again. The form itself posts without any script.
 * On the answering page, what the device kept while off line is sent first (exam.js, window.examsvcSpot):
 * unlocking leaves the page, and the changes would stay on the device; while they cannot be sent, the
 * dialog says so and the device stays with the person's exam. */
(function () {
  "use strict";
  var dialog = document.getElementById("unlock-dialog");
  var open = document.getElementById("unlock-open");
  if (!dialog || !open) { return; }
  var form = dialog.querySelector("form");
  var pending = document.getElementById("unlock-pending");
  var flushed = false;
  function show() { dialog.showModal(); document.getElementById("unlock-password").focus(); }
  open.addEventListener("click", show);
  document.getElementById("unlock-cancel").addEventListener("click", function () { dialog.close(); open.focus(); });
  form.addEventListener("submit", function (event) {
    var spot = window.examsvcSpot;
    if (flushed || !spot || !spot.pending()) { return; }
    event.preventDefault();
    pending.textContent = "正在发送本设备保存的答案……";
    pending.hidden = false;
    spot.flush(8000).then(function (done) {
      if (done) { flushed = true; pending.hidden = true; form.requestSubmit(); return; }
      pending.textContent = "本设备还有 " + spot.pending() + " 项答案尚未送达服务器，请在网络恢复、发送完成后再解锁。";
    });
  });
  if (dialog.dataset.reopen) { show(); }
})();
