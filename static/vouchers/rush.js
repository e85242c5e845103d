// Countdown and one-tap claim. The countdown runs on the server's clock (offset
// taken when the page was rendered); the server refuses claims before release anyway.
(function () {
  var box = document.getElementById("rush");
  if (!box) return;
  var button = document.getElementById("claim");
  var left = document.getElementById("left");
  var result = document.getElementById("result");
  var L = box.dataset;
  var release = Number(box.dataset.releaseMs);
  var offset = Number(box.dataset.nowMs) - Date.now();
  function csrf() {
    var m = document.cookie.match(/csrftoken=([^;]+)/);
    return m ? m[1] : "";
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var ms = release - (Date.now() + offset);
    if (ms <= 0) {
      if (button && button.disabled && !button.dataset.done) {
        button.disabled = false;
        button.textContent = L.lClaim;
        document.getElementById("countdown").textContent = L.lOpen;
      }
      return;
    }
    var s = Math.ceil(ms / 1000);
    if (left) left.textContent = pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
    setTimeout(tick, Math.min(250, ms));
  }
  tick();
  if (!button) return;
  button.addEventListener("click", function () {
    button.disabled = true;
    button.textContent = L.lClaiming;
    fetch(box.dataset.claimUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"X-CSRFToken": csrf(), "X-Device-Id": localStorage.qdev || (localStorage.qdev = Math.random().toString(36).slice(2))}
    }).then(function (r) { return r.json(); }).then(function (data) {
      button.dataset.done = "1";
      if (data.ok && data.code === "registered") {
        result.className = "result ok";
        result.textContent = data.message;
        button.textContent = L.lRegistered;
      } else if (data.ok) {
        result.className = "result ok";
        result.innerHTML = L.lSuccess + " <a href=\"" + data.wallet_url + "\">" + L.lUse + "</a>";
        button.textContent = L.lClaimed;
      } else if (data.code === "packet_sold_out") {
        result.className = "result soldout";
        result.innerHTML = L.lSoldout + (data.sold_out_at ? "<br><span class=meta>" + L.lSoldoutAt.replace("{time}", data.sold_out_at) + "</span>" : "");
        button.textContent = L.lSoldout;
      } else {
        result.className = "result";
        result.textContent = data.message || L.lFailed;
        button.disabled = false;
        button.textContent = L.lRetry;
      }
    }).catch(function () {
      result.textContent = L.lNetwork;
      button.disabled = false;
      button.textContent = L.lRetry;
    });
  });
})();
