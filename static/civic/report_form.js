/* Report a problem: the merchant choice shows only for categories about a shop.
   The place is picked by the location picker (static/maps/picker.js). */
(function () {
  "use strict";
  function init() {
    var category = document.getElementById("id_category");
    var field = document.getElementById("merchant-field");
    var data = document.getElementById("merchant-categories");
    if (category && field && data) {
      var ids = JSON.parse(data.textContent).map(String);
      var sync = function () { field.hidden = ids.indexOf(category.value) < 0; };
      category.addEventListener("change", sync);
      sync();
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
