/* Poster answer page: ask for the SMS code without leaving the filled form. */
(function () {
  "use strict";
  function init() {
    var form = document.getElementById("poster-form");
    var button = document.getElementById("send-code");
    var status = document.getElementById("code-status");
    if (!form || !button) return;
    button.addEventListener("click", function () {
      var body = new FormData();
      body.append("phone", form.elements.phone.value);
      body.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
      fetch(form.dataset.codeUrl, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (d) {
          status.textContent = d.message;
          status.className = d.ok ? "sv-ok" : "error";
        })
        .catch(function () { status.textContent = "网络异常,请稍后再试"; });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
