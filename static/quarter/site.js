/* Behaviour every page shares, wired by attributes instead of inline handlers
   (the Content-Security-Policy allows no inline script):
   <select data-autosubmit> submits its form on change; <button data-print> prints. */
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) {
      el.form.submit();
    }
  });
  document.addEventListener("click", function (e) {
    var el = e.target && e.target.closest ? e.target.closest("[data-print]") : null;
    if (el) window.print();
  });
})();
