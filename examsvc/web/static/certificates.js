/* The certificate pages (证书管理). On every page: focus goes to the message an action left (data-focus), so a
 * screen reader starts there. On the batch page (整场发证): while the batch runs, the next chunk is issued
 * through the API's own route (POST /certificates/batches/{id}/continue, the login in the HttpOnly cookie,
 * the CSRF token in a header) again and again until it is done, and the progress is updated in place
 * (the status line is aria-live). Without this script the page's 继续发证 button does the same by a plain form. */
(function () {
  "use strict";
  var focus = document.querySelector("[data-focus]");
  if (focus) focus.focus();

  var form = document.getElementById("batch-continue");
  if (!form) return;
  var CSRF = document.querySelector('meta[name="csrf-token"]').content;
  var status = document.getElementById("batch-status");
  var bar = document.getElementById("batch-progress");
  var alert = form.querySelector(".form-error");
  var button = form.querySelector("button[type=submit]");
  var busy = false;

  function show(batch) {
    var text = "已发 " + batch.issued + " / 共 " + batch.total;
    bar.max = Math.max(batch.total, 1);
    bar.value = batch.total ? batch.issued : 1;
    bar.textContent = text;
    status.textContent = (batch.status === "done" ? "整场发证已完成：" : "") + text;
  }

  function finish() {
    form.hidden = true;
    var done = document.getElementById("batch-done");
    done.hidden = false;
    document.getElementById("done-title").focus();
  }

  function fail(message) {
    busy = false;
    button.disabled = false;
    alert.textContent = message;
    alert.hidden = false;
    alert.focus();
  }

  function step() {
    busy = true;
    button.disabled = true;
    alert.hidden = true;
    fetch(form.dataset.api, { method: "POST", credentials: "same-origin", body: "{}",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": CSRF } })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (!response.ok) {
            fail((answer.message || ("请求被拒绝（" + response.status + "）")) + "（可按“继续发证”重试）");
            return;
          }
          show(answer);
          if (answer.status === "done") finish();
          else step();
        });
      })
      .catch(function () { fail("网络连接失败，已发放的证书已保存；请检查网络后按“继续发证”。"); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!busy) step();
  });
  step();
})();
