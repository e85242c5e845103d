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
  // Results are built from text nodes, never from HTML strings.
  function showSuccess(walletUrl) {
    result.replaceChildren(document.createTextNode(L.lSuccess + " "));
    // Only a path on this site is followed (never a javascript: or foreign URL).
    if (typeof walletUrl === "string" && /^\/(?!\/)/.test(walletUrl)) {
      var link = document.createElement("a");
      link.href = walletUrl;
      link.textContent = L.lUse;
      result.appendChild(link);
    }
  }
  function showSoldOut(soldOutAt) {
    result.replaceChildren(document.createTextNode(L.lSoldout));
    if (soldOutAt) {
      var when = document.createElement("span");
      when.className = "meta";
      when.textContent = L.lSoldoutAt.replace("{time}", soldOutAt);
      result.appendChild(document.createElement("br"));
      result.appendChild(when);
    }
  }
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
        showSuccess(data.wallet_url);
        button.textContent = L.lClaimed;
      } else if (data.code === "packet_sold_out") {
        result.className = "result soldout";
        showSoldOut(data.sold_out_at);
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
