// Keep the customer's page in step with the order: poll its status with backoff and move
// to the order page once it is final. Also leave any frame we were loaded into.
(function () {
  "use strict";
  if (window.top !== window.self) {
    window.top.location.href = window.location.href;
    return;
  }
  var holder = document.querySelector("[data-status-url]");
  if (!holder) { return; }
  var statusUrl = holder.getAttribute("data-status-url");
  var orderUrl = holder.getAttribute("data-order-url") || window.location.pathname;
  var shownStatus = holder.getAttribute("data-status");
  var finalStates = ["paid", "failed", "expired"];
  if (finalStates.indexOf(shownStatus) !== -1) { return; }
  var delay = 1000;
  function poll() {
    fetch(statusUrl, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (order) {
        if (order && finalStates.indexOf(order.status) !== -1) {
          window.location.replace(orderUrl);
          return;
        }
        schedule();
      })
      .catch(schedule);
  }
  function schedule() {
    delay = Math.min(delay * 1.5, 10000);
    window.setTimeout(poll, delay);
  }
  window.setTimeout(poll, delay);
})();
