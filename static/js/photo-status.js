// The photo check's result appears without reloading: the status is polled while it is pending.
(function () {
  var card = document.getElementById("latest");
  if (!card || card.dataset.status !== "pending") return;
  var tries = 0;
  function poll() {
    fetch(card.dataset.statusUrl, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        document.getElementById("photo-status").textContent = data.label;
        if (!data.done) { if (++tries < 120) setTimeout(poll, 1500); return; }
        document.getElementById("photo-spinner").classList.add("d-none");
        var list = document.getElementById("photo-reasons");
        list.innerHTML = "";
        data.reasons.forEach(function (text) { var li = document.createElement("li"); li.textContent = text; list.appendChild(li); });
        if (data.processed_url) { var img = document.getElementById("photo-standard"); img.src = data.processed_url; img.classList.remove("d-none"); }
        var next = document.getElementById("photo-continue");
        if (next && data.status === "approved") next.classList.remove("d-none");
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 800);
})();
