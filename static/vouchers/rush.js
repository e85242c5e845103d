// Countdown and one-tap claim. The countdown runs on the server's clock (offset
// taken when the page was rendered); the server refuses claims before release anyway.
// For screen readers the clock itself is a role="timer" (not announced); a
// separate polite live region speaks only at milestones (10 and 5 minutes,
// 1 minute, 30 and 10 seconds, and the opening). The claim button keeps focus
// (it is aria-disabled, not disabled, while it waits) and focus moves to the
// result once the claim is decided.
(function () {
  var box = document.getElementById("rush");
  if (!box) return;
  var button = document.getElementById("claim");
  var left = document.getElementById("left");
  var result = document.getElementById("result");
  var announcer = document.getElementById("rush-announce");
  var L = box.dataset;
  var release = Number(box.dataset.releaseMs);
  var offset = Number(box.dataset.nowMs) - Date.now();
  var MILESTONES = [600, 300, 60, 30, 10];  // seconds before the opening
  var lastSecond = null;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function announce(text) {
    if (!announcer || !text) return;
    // Clear first so the same sentence twice is still spoken.
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text; }, 50);
  }
  function waiting(on) {
    if (!button) return;
    if (on) button.setAttribute("aria-disabled", "true");
    else button.removeAttribute("aria-disabled");
  }
  function milestoneText(s) {
    if (s >= 60) return (L.lMinutes || "").replace("{n}", String(s / 60));
    return (L.lSeconds || "").replace("{n}", String(s));
  }
  var openedOnLoad = release - (Date.now() + offset) <= 0;
  function tick() {
    var ms = release - (Date.now() + offset);
    if (ms <= 0) {
      if (button && button.getAttribute("aria-disabled") === "true" && !button.dataset.done
          && !button.dataset.busy) {
        // The page renders the button waiting until this script runs; only an
        // opening seen on the countdown is announced.
        waiting(false);
        button.textContent = L.lClaim;
        document.getElementById("countdown").textContent = L.lOpen;
        if (!openedOnLoad) announce(L.lGo);
      }
      return;
    }
    var s = Math.ceil(ms / 1000);
    if (s !== lastSecond) {
      if (lastSecond !== null) {
        for (var i = 0; i < MILESTONES.length; i++) {
          if (lastSecond > MILESTONES[i] && s <= MILESTONES[i]) announce(milestoneText(MILESTONES[i]));
        }
      }
      lastSecond = s;
      if (left) left.textContent = pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
    }
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
  function decided() {
    // The claim is settled: the result is what the person reads next.
    result.setAttribute("tabindex", "-1");
    result.focus();
  }
  function retry(text) {
    show("", text);
    delete button.dataset.busy;
    waiting(false);
    button.textContent = L.lRetry;
    button.focus();
    announce(text);
  }
  function device() {
    try {
      return localStorage.qdev || (localStorage.qdev = Math.random().toString(36).slice(2));
    } catch (e) { return ""; }
  }
  button.addEventListener("click", function () {
    if (button.getAttribute("aria-disabled") === "true") return;
    button.dataset.busy = "1";
    waiting(true);
    button.textContent = L.lClaiming;
    fetch(L.claimUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"X-Rush-Ticket": L.ticket || "", "X-Device-Id": device()}
    }).then(function (r) { return r.json(); }).then(function (data) {
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
        retry(data.message || L.lFailed);
        return;
      }
      button.dataset.done = "1";
      delete button.dataset.busy;
      decided();
    }).catch(function () {
      retry(L.lNetwork);
    });
  });
})();
