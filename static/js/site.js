/* Behaviour shared by every page, in a static file (the Content-Security-Policy allows no inline script or
   handler; docs/security.md "Browser hardening"):
   - <form data-confirm="question">: asks before submitting (a cancelled dialog does not submit);
   - <select data-autosubmit>: submits its form when changed (the language switcher; a <noscript> button stays);
   - <body data-autoprint>: opens the print dialog once the page has loaded (a printable prescription). */
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm !== undefined && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field instanceof HTMLSelectElement && field.dataset.autosubmit !== undefined && field.form) {
      field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
    }
  });
  window.addEventListener("load", function () {
    if (document.body && document.body.dataset.autoprint !== undefined) { window.print(); }
  });
})();
