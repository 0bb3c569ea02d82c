// Seats left: the table refreshes from the JSON endpoint every 5 seconds.
(function () {
  var table = document.getElementById("availability"), full = table.dataset.fullLabel;
  function refresh() {
    fetch(table.dataset.url).then(function (r) { return r.json(); }).then(function (data) {
      data.areas.forEach(function (area) {
        var row = table.querySelector("tr[data-area='" + area.id + "']");
        if (!row) return;
        area.seats.forEach(function (left, i) {
          var cell = row.cells[i + 1];
          cell.textContent = "";
          if (left === null) { cell.textContent = "—"; }
          else if (left > 0) { cell.textContent = String(left); }
          else { var span = document.createElement("span"); span.className = "text-danger"; span.textContent = full; cell.appendChild(span); }
        });
      });
      document.getElementById("updated").textContent = new Date().toLocaleTimeString();
    }).catch(function () {});
  }
  setInterval(refresh, 5000);
})();
