// When the server sent the form back with errors, put the keyboard (and a screen reader)
// on the first field to fix, or on the message when no field is to blame. (The bank-app
// field shows and hides by CSS alone, from the first paint.)
(function () {
  "use strict";
  var invalid = document.querySelector("[aria-invalid=true]");
  var alert = document.getElementById("form-alert");
  if (invalid) {
    invalid.focus();
  } else if (alert && !alert.hidden) {
    alert.focus();
  }
})();
