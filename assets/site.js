// papernotes: small progressive enhancements. Every page is fully readable without this file.
(function () {
  "use strict";
  function rows() { return document.querySelectorAll(".note-row > details"); }
  document.addEventListener("DOMContentLoaded", function () {
    var toolbar = document.querySelector(".toolbar");
    if (toolbar && rows().length) {
      toolbar.hidden = false;
      toolbar.addEventListener("click", function (event) {
        var button = event.target.closest("button[data-expand]");
        if (!button) return;
        var open = button.getAttribute("data-expand") === "all";
        rows().forEach(function (d) { d.open = open; });
      });
    }
  });
  // Printing shows every collapsed section.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) {
      d.setAttribute("data-print-opened", "");
      d.open = true;
    });
  });
  window.addEventListener("afterprint", function () {
    document.querySelectorAll("details[data-print-opened]").forEach(function (d) {
      d.removeAttribute("data-print-opened");
      d.open = false;
    });
  });
})();
