// Staff pages: a <select data-autosubmit> submits its form when changed (no inline handlers: CSP).
document.addEventListener("change", function (event) {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
});
