/* The waiting page: asks every 5 s whether a system admin has approved this workstation. */
(function () {
  "use strict";
  function check() {
    fetch("/workstations/me", { credentials: "same-origin" }).then(function (response) {
      if (response.ok || response.status === 401) { location.assign("/ws"); return; }
      response.json().then(function (e) {
        if (e.error === "workstation_revoked") { location.assign("/ws"); return; }
        setTimeout(check, 5000);
      }, function () { setTimeout(check, 5000); });
    }, function () { setTimeout(check, 5000); });
  }
  setTimeout(check, 5000);
})();
