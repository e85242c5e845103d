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
  // Form controls whose outline is under `min`:1 against what is behind them
  // (WCAG 1.4.11): the border where there is one, else the control's own fill.
  faintControls: function (min) {
    function rgba(text) {
      var m = text.match(/rgba?\(([^)]+)\)/);
      if (!m) return [0, 0, 0, 0];
      var p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    }
    function over(top, under) {
      var a = top[3];
      return [0, 1, 2].map(function (i) { return top[i] * a + under[i] * (1 - a); }).concat([1]);
    }
    function behind(el) {
      var layers = [];
      for (var node = el; node; node = node.parentElement) {
        var c = rgba(getComputedStyle(node).backgroundColor);
        if (c[3] > 0) layers.push(c);
        if (c[3] >= 1) break;
      }
      var colour = [255, 255, 255, 1];
      for (var i = layers.length - 1; i >= 0; i--) colour = over(layers[i], colour);
      return colour;
    }
    function luminance(c) {
      var v = c.slice(0, 3).map(function (x) {
        x /= 255;
        return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
      });
      return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
    }
    function ratio(a, b) {
      var la = luminance(a), lb = luminance(b);
      return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
    }
    var faint = [];
    // A file input is drawn as the browser's own button, not as a field.
    var sel = "input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=submit])" +
      ":not([type=button]):not([type=file]), select, textarea";
    document.querySelectorAll(sel).forEach(function (el) {
      var r = el.getBoundingClientRect();
      var cs = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || cs.visibility === "hidden") return;
      if (el.closest(".leaflet-container")) return;
      var around = behind(el.parentElement || document.body);
      var fill = over(rgba(cs.backgroundColor), around);
      var width = parseFloat(cs.borderBottomWidth) || 0;
      var edge = width > 0 ? over(rgba(cs.borderBottomColor), fill) : fill;
      var best = Math.max(ratio(edge, around), width > 0 ? ratio(edge, fill) : 0);
      if (best < min) {
        var name = el.id ? "#" + el.id : el.tagName.toLowerCase() + "[name=" + el.name + "]";
        faint.push(name + " " + best.toFixed(2) + ":1");
      }
    });
    return faint;
  },
  // Text fields for phone numbers, short codes and amounts without the keypad
  // or autofill hint a phone needs (inputmode / type, autocomplete). A longer
  // code field (the till's, which also takes DJ card numbers) stays text.
  keypads: function () {
    var out = [];
    document.querySelectorAll("input").forEach(function (el) {
      if (el.type === "hidden" || el.closest(".leaflet-container")) return;
      var r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) return;
      var key = (el.name + " " + el.id).toLowerCase();
      var mode = el.getAttribute("inputmode") || "";
      var name = el.id ? "#" + el.id : "input[name=" + el.name + "]";
      if (/username/.test(key)) {
        // Residents sign in with a phone number, staff with a name: a text
        // field, but one the browser may fill in.
        if (!/username|tel/.test(el.getAttribute("autocomplete") || "")) {
          out.push(name + ": a sign-in name without autocomplete");
        }
      } else if (/phone|mobile/.test(key) && el.type !== "password") {
        if (!(el.type === "tel" || mode === "tel" || mode === "numeric")) {
          out.push(name + ": a phone number without a number keypad");
        }
        if (!/tel|username/.test(el.getAttribute("autocomplete") || "")) {
          out.push(name + ": a phone number without autocomplete");
        }
      } else if (/(^|_)(pin|otp|bill|amount|price|age|count|households|employees)/.test(key) ||
                 (/(^|_)code/.test(key) && el.maxLength > 0 && el.maxLength <= 8)) {
        if (!(el.type === "number" || /numeric|decimal/.test(mode))) {
          out.push(name + ": a number without a number keypad");
        }
      }
    });
    return out;
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
