// Show the bank-app choice only for methods that need it. Without JavaScript it stays
// visible and the server still requires it for cis_transfer and cis_transfer_card.
(function () {
  "use strict";
  var method = document.getElementById("method");
  var bankField = document.getElementById("bank_app-field");
  if (!method || !bankField) { return; }
  var needsBankApp = ["cis_transfer", "cis_transfer_card"];
  function update() {
    var shown = needsBankApp.indexOf(method.value) !== -1;
    bankField.hidden = !shown;
    document.getElementById("bank_app").required = shown;
  }
  method.addEventListener("change", update);
  update();
})();
