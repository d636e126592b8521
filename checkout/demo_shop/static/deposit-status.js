// The deposit's page while the shop waits for the webhook: poll the deposit's status, and
// once the shop has heard, redraw the state and the balance in place (no reload, focus kept).
(function () {
  "use strict";
  var state = document.getElementById("deposit-state");
  if (!state || state.getAttribute("data-waiting") !== "true") { return; }
  var statusUrl = state.getAttribute("data-status-url");
  var delay = 500;
  function redraw() {
    return fetch(window.location.href, { cache: "no-store" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["deposit-state", "balances"].forEach(function (id) {
          var now = document.getElementById(id);
          var next = fresh.getElementById(id);
          if (now && next) { now.innerHTML = next.innerHTML; }
        });
        state.setAttribute("data-waiting", "false");
        state.className = fresh.getElementById("deposit-state").className;
        document.title = fresh.title;
      });
  }
  function poll() {
    fetch(statusUrl, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (deposit) {
        if (deposit && !deposit.waiting) { return redraw(); }
        schedule();
      })
      .catch(schedule);
  }
  function schedule() {
    delay = Math.min(delay * 1.5, 5000);
    window.setTimeout(poll, delay);
  }
  window.setTimeout(poll, delay);
})();
