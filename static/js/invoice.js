// 填写报名信息: invoice fields shown only when wanted; a personal invoice's title is the candidate's name.
(function () {
  var form = document.querySelector("main form[method=post]");
  function sync() {
    var wanted = form.querySelector("input[name=invoice_wanted]:checked");
    var on = wanted && wanted.value === "True";
    var type = form.querySelector("#id_invoice_type");
    ["invoice_type", "invoice_title", "invoice_tax_number"].forEach(function (name) {
      var box = document.getElementById("div_id_" + name);
      if (box) box.hidden = !on || (name === "invoice_tax_number" && type.value !== "enterprise");
    });
    var title = form.querySelector("#id_invoice_title");
    if (type.value === "personal") { title.value = form.dataset.candidateName; title.readOnly = true; } else { title.readOnly = false; }
  }
  form.addEventListener("change", sync);
  sync();
})();
