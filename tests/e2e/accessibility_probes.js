// Measurements the accessibility checks (test_accessibility.py) run inside a page.
// Loaded with Playwright's add_script_tag(path=...); each returns plain strings.
window.a11yProbes = {
  // Everything one can tap that is smaller than `min` CSS px either way. A link
  // inside a sentence (text on either side in the same block) is exempt, as
  // WCAG 2.5.5 allows; map markers are exempt because the page lists the same
  // places, and a checkbox or radio is measured by its label.
  smallTargets: function (min) {
    var sel = "a[href], button, select, input:not([type=hidden]), textarea, summary, " +
      "[role=button], [tabindex]:not([tabindex='-1'])";
    var small = [];
    document.querySelectorAll(sel).forEach(function (el) {
      if (el.closest(".leaflet-marker-pane, .leaflet-control-attribution")) return;
      var box = el;
      if (el.matches("input[type=checkbox], input[type=radio]") && el.closest("label")) {
        box = el.closest("label");
      }
      var r = box.getBoundingClientRect();
      var style = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || style.visibility === "hidden") return;
      if (el.matches("a") && style.display === "inline") {
        var block = el.parentElement.closest("p, li, dd, td, div, span.meta");
        var own = el.textContent.trim();
        var around = block ? block.textContent.replace(own, "").trim() : "";
        if (around.length > 0) return;  // a link inside running text
      }
      if (r.width < min - 0.5 || r.height < min - 0.5) {
        var name = el.id ? "#" + el.id : el.tagName.toLowerCase() + "." + el.className;
        var text = (el.textContent || el.value || "").trim().slice(0, 12);
        small.push(name + ' "' + text + '" ' + Math.round(r.width) + "x" + Math.round(r.height));
      }
    });
    return small;
  },
  // Visible text set smaller than `min` CSS px.
  smallText: function (min) {
    var small = new Set();
    var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      var node = walker.currentNode;
      var el = node.parentElement;
      if (!node.textContent.trim() || !el) continue;
      if (el.closest(".sr-only, .leaflet-container, script, style")) continue;
      var r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      var size = parseFloat(getComputedStyle(el).fontSize);
      if (size < min - 0.01) {
        small.add(el.tagName.toLowerCase() + "." + el.className + " " + size + 'px "' +
          node.textContent.trim().slice(0, 10) + '"');
      }
    }
    return Array.from(small);
  },
  // Sideways scrolling, anything past the right edge, and boxes that clip their text.
  overflow: function () {
    var width = document.documentElement.clientWidth;
    var out = [];
    var scroll = document.documentElement.scrollWidth;
    if (scroll > width + 1) out.push("page scrolls sideways: " + scroll + " > " + width);
    document.querySelectorAll("main *, header *").forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.width === 0) return;
      if (el.closest(".leaflet-container, .table-scroll, .role-row, .photos")) return;
      var name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "." + el.className);
      if (r.right > width + 1) out.push(name + " ends at " + Math.round(r.right));
      var cs = getComputedStyle(el);
      var clips = cs.overflowX === "hidden" || cs.overflowX === "clip";
      if (!el.matches("input, textarea, select") && clips && el.scrollWidth > el.clientWidth + 1) {
        out.push(name + " cuts off its content");
      }
    });
    return out.slice(0, 8);
  },
  // Record what every live region says from now on (window.a11ySpoken).
  watchLiveRegions: function () {
    window.a11ySpoken = [];
    document.querySelectorAll("[aria-live]").forEach(function (el) {
      new MutationObserver(function () {
        var text = el.textContent.trim();
        if (text) window.a11ySpoken.push(text);
      }).observe(el, {childList: true, characterData: true, subtree: true});
    });
  }
};
