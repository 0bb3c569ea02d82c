// 选择科目: the total fee follows the chosen subjects (fees from the page's #fees JSON).
(function () {
  var fees = JSON.parse(document.getElementById("fees").textContent);
  function total() {
    var cents = 0;
    document.querySelectorAll("input[type=radio]:checked").forEach(function (r) {
      if (fees[r.value]) cents += Math.round(parseFloat(fees[r.value]) * 100);
    });
    document.getElementById("total-fee").textContent = (cents / 100).toFixed(2);
  }
  document.addEventListener("change", total);
  total();
})();
