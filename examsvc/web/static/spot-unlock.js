/* The spot exam's "交还设备 / 执法人员解锁": opens the officer's password form as a modal dialog; a page
 * that comes back with a refused password opens it again. The form itself posts without any script. */
(function () {
  "use strict";
  var dialog = document.getElementById("unlock-dialog");
  var open = document.getElementById("unlock-open");
  if (!dialog || !open) { return; }
  function show() { dialog.showModal(); document.getElementById("unlock-password").focus(); }
  open.addEventListener("click", show);
  document.getElementById("unlock-cancel").addEventListener("click", function () { dialog.close(); open.focus(); });
  if (dialog.dataset.reopen) { show(); }
})();
