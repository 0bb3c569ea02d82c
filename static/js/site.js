// Scripts run: the phone's menu panel opens as an offcanvas, not as the target of its link (site.css).
document.documentElement.classList.add("js");
// Click the captcha picture for a new one (django-simple-captcha's refresh endpoint).
document.addEventListener("click", function (event) {
  var img = event.target.closest("img.captcha");
  if (!img) return;
  var form = img.closest("form");
  fetch("/captcha/refresh/", { headers: { "X-Requested-With": "XMLHttpRequest" } })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      img.src = data.image_url;
      var key = form.querySelector("input[name='captcha_0']");
      if (key) key.value = data.key;
    });
});
// Buttons with data-confirm ask a second time before submitting.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
// A <select data-autosubmit> (the language switch) submits its form when changed: no inline handlers (CSP).
document.addEventListener("change", function (event) {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
});
