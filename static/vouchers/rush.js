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
  // The rush ticket (issued with this page, after the eligibility checks) goes
  // in a header to the gate URL: the same claim the API and the benchmark use.
  // A custom header cannot be sent by a cross-site form, so no CSRF token.
  // Results are built from text nodes, never from HTML strings; only a path on
  // this site is followed as a link (never a javascript: or foreign URL).
  function show(kind, text, link, meta) {
    result.className = "result" + (kind ? " " + kind : "");
    result.textContent = text;
    if (typeof link === "string" && /^\/(?!\/)/.test(link)) {
      var a = document.createElement("a");
      a.href = link;
      a.textContent = L.lUse;
      result.appendChild(document.createTextNode(" "));
      result.appendChild(a);
    }
    if (meta) {
      var span = document.createElement("span");
      span.className = "meta";
      span.textContent = meta;
      result.appendChild(document.createElement("br"));
      result.appendChild(span);
    }
  }
  function device() {
    try {
      return localStorage.qdev || (localStorage.qdev = Math.random().toString(36).slice(2));
    } catch (e) { return ""; }
  }
  button.addEventListener("click", function () {
    button.disabled = true;
    button.textContent = L.lClaiming;
    fetch(L.claimUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"X-Rush-Ticket": L.ticket || "", "X-Device-Id": device()}
    }).then(function (r) { return r.json(); }).then(function (data) {
      button.dataset.done = "1";
      if (data.ok && data.code === "registered") {
        show("ok", data.message);
        button.textContent = L.lRegistered;
      } else if (data.ok) {
        show("ok", data.code === "already_claimed" ? data.message : L.lSuccess, data.wallet_url);
        button.textContent = L.lClaimed;
      } else if (data.code === "packet_sold_out") {
        show("soldout", L.lSoldout, null,
             data.sold_out_at ? L.lSoldoutAt.replace("{time}", data.sold_out_at) : null);
        button.textContent = L.lSoldout;
      } else {
        show("", data.message || L.lFailed);
        button.disabled = false;
        button.textContent = L.lRetry;
      }
    }).catch(function () {
      show("", L.lNetwork);
      button.disabled = false;
      button.textContent = L.lRetry;
    });
  });
})();
