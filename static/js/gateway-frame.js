// Fit the gateway's form to its content, so the customer scrolls one page, not a page
// inside a page. Only possible when the browser lets us measure the frame (the embedded
// sandbox is served by this site); a gateway on another origin keeps the stylesheet's
// height and scrolls inside it.
(function () {
  "use strict";
  var frame = document.querySelector(".gateway-frame iframe");
  if (!frame) { return; }
  function fit() {
    var doc = null;
    try { doc = frame.contentDocument; } catch (error) { doc = null; }
    // Before the form arrives the frame holds an empty about:blank: keep the height.
    if (!doc || !doc.body || doc.location.href === "about:blank") { return; }
    var height = Math.ceil(doc.documentElement.getBoundingClientRect().height);
    if (height > 0) { frame.style.height = height + "px"; }
  }
  frame.addEventListener("load", fit);
  window.addEventListener("resize", fit);
  fit();
})();
