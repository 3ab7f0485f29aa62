// papernotes: the Cite block's copy button. Without JavaScript the button stays hidden and the
// BibTeX entry can be selected by hand.
(function () {
  "use strict";
  var COPIED = "Copied ✓ 已复制";
  var FAILED = "Press Ctrl+C 请按 Ctrl+C";

  function selectContents(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return selection;
  }

  // Older browsers and pages not served from a secure origin have no async clipboard API.
  function copyBySelection(element) {
    var selection = selectContents(element);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    if (ok) selection.removeAllRanges();
    return ok;
  }

  function copy(element) {
    var text = element.textContent;
    if (navigator.clipboard && typeof navigator.clipboard.writeText === "function") {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return copyBySelection(element); }
      );
    }
    return Promise.resolve(copyBySelection(element));
  }

  function setup() {
    document.querySelectorAll(".copy-button[data-copy-target]").forEach(function (button) {
      if (button.getAttribute("data-copy-ready")) return;
      button.setAttribute("data-copy-ready", "1");
      var label = button.textContent;
      var timer = null;
      button.hidden = false;
      button.addEventListener("click", function () {
        var target = document.getElementById(button.getAttribute("data-copy-target"));
        if (!target) return;
        copy(target).then(function (ok) {
          if (!ok) selectContents(target);
          button.textContent = ok ? COPIED : FAILED;
          button.classList.toggle("copied", ok);
          clearTimeout(timer);
          timer = setTimeout(function () {
            button.textContent = label;
            button.classList.remove("copied");
          }, 2000);
        });
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
