// Show the bank-app choice only for methods that need it. Without JavaScript it stays
// visible and the server still requires it for cis_transfer and cis_transfer_card.
// When the server sent the form back with errors, put the keyboard (and a screen reader)
// on the first field to fix, or on the message when no field is to blame.
(function () {
  "use strict";
  var method = document.getElementById("method");
  var bankField = document.getElementById("bank_app-field");
  var needsBankApp = ["cis_transfer", "cis_transfer_card"];
  function update() {
    var shown = needsBankApp.indexOf(method.value) !== -1;
    bankField.hidden = !shown;
    document.getElementById("bank_app").required = shown;
  }
  if (method && bankField) {
    method.addEventListener("change", update);
    update();
  }
  var invalid = document.querySelector("[aria-invalid=true]");
  var alert = document.getElementById("form-alert");
  if (invalid) {
    invalid.focus();
  } else if (alert && !alert.hidden) {
    alert.focus();
  }
})();
