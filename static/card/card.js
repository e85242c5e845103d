// The digital community card: fetch a fresh signed QR before the shown one
// expires (each lives a minute), so a screenshot soon stops working. Only
// attributes and text are set: the QR comes as a data: URI image.
(function () {
  "use strict";
  var box = document.getElementById("community-card");
  var img = document.getElementById("card-qr");
  var digits = document.getElementById("card-code");
  var status = document.getElementById("card-status");
  if (!box || !img || !window.fetch) return;
  var every = (parseInt(box.dataset.refresh, 10) || 20) * 1000;
  var lastOk = Date.now();

  function refresh() {
    fetch(box.dataset.codeUrl, {credentials: "same-origin", cache: "no-store",
                                headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        img.src = data.qr;
        img.dataset.token = data.token;
        digits.textContent = data.code;
        box.classList.remove("stale");
        lastOk = Date.now();
      })
      .catch(function () {
        if (Date.now() - lastOk > 55000) {
          box.classList.add("stale");
          status.textContent = status.dataset.lStale;
        }
      });
  }
  setInterval(refresh, every);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) refresh();
  });
})();
