/* The staff console's signing forms: each <form class="api-form" data-api="…"> posts its fields as JSON to the
 * API's own route (the login in the HttpOnly cookie, the CSRF token in a header). A passphrase field is sent in
 * that one request and cleared at once, success or not: the browser never keeps it (no storage, no autofill).
 * On success the page reloads with ?done=<the form's data-done>, which the page words; on a refusal the
 * API's Chinese message is shown in the form's alert. Review forms turn their per-item point fields
 * (data-position, data-original in tenths) into the API's "adjustments". */
(function () {
  "use strict";
  var CSRF = document.querySelector('meta[name="csrf-token"]').content;

  function body(form) {
    var out = {}, adjustments = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.type === "submit") return;
      if (field.dataset.position !== undefined) {
        var tenths = Math.round(parseFloat(field.value) * 10);
        if (!isNaN(tenths) && String(tenths) !== field.dataset.original) {
          adjustments.push({ position: Number(field.dataset.position), points: tenths });
        }
        return;
      }
      out[field.name] = field.value;
    });
    if (form.dataset.adjustments !== undefined) out.adjustments = adjustments;
    return out;
  }

  function send(form, event) {
    event.preventDefault();
    var alert = form.querySelector(".form-error");
    var button = form.querySelector("button[type=submit]");
    var payload = JSON.stringify(body(form));
    form.querySelectorAll("input[type=password]").forEach(function (p) { p.value = ""; });
    alert.hidden = true;
    button.disabled = true;
    fetch(form.dataset.api, { method: "POST", credentials: "same-origin", body: payload,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": CSRF } })
      .then(function (response) {
        if (response.ok) {
          window.location.assign(window.location.pathname + "?done=" + encodeURIComponent(form.dataset.done));
          return null;
        }
        return response.json().catch(function () { return {}; }).then(function (error) {
          alert.textContent = error.message || ("请求被拒绝（" + response.status + "）");
          alert.hidden = false;
          alert.focus();
          button.disabled = false;
        });
      })
      .catch(function () {
        alert.textContent = "网络连接失败，请检查网络后重试（口令未保存，需要重新输入）。";
        alert.hidden = false;
        button.disabled = false;
      });
  }

  document.querySelectorAll("form.api-form").forEach(function (form) {
    form.addEventListener("submit", function (event) { send(form, event); });
  });
  document.querySelectorAll("button.print").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
})();
