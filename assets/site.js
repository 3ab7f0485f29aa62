// papernotes: small progressive enhancements. Every page is fully readable without this file.
(function () {
  "use strict";
  var THEME_KEY = "papernotes-theme";
  var THEMES = ["auto", "light", "dark"];
  var THEME_NAMES = { auto: "Auto 自动", light: "Light 浅色", dark: "Dark 深色" };

  function rows() { return document.querySelectorAll(".note-row > details"); }

  function storedTheme() {
    try { return localStorage.getItem(THEME_KEY); } catch (e) { return null; }
  }

  // The theme toggle: auto (the system's) → light → dark → auto; the choice is remembered. The
  // attribute itself was set before the first paint by the inline script in <head>.
  function setUpThemeToggle() {
    var button = document.querySelector("[data-theme-toggle]");
    if (!button) return;
    var name = button.querySelector(".theme-name");
    function show(theme) {
      document.documentElement.setAttribute("data-theme", theme);
      name.textContent = THEME_NAMES[theme];
      button.title = "Theme 主题: " + THEME_NAMES[theme];
    }
    var current = storedTheme();
    show(THEMES.indexOf(current) > 0 ? current : "auto");
    button.hidden = false;
    button.addEventListener("click", function () {
      var now = document.documentElement.getAttribute("data-theme");
      var next = THEMES[(THEMES.indexOf(now) + 1) % THEMES.length];
      show(next);
      try {
        if (next === "auto") localStorage.removeItem(THEME_KEY); else localStorage.setItem(THEME_KEY, next);
      } catch (e) { /* private mode: the choice lasts for this page */ }
    });
  }

  // The table of contents marks the section being read: the last heading above the reading line.
  function setUpContents() {
    var toc = document.querySelector(".toc");
    if (!toc || !("IntersectionObserver" in window)) return;
    var links = Array.prototype.slice.call(toc.querySelectorAll("a[href^='#']"));
    var headings = links.map(function (link) {
      return document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    });
    if (!headings.some(Boolean)) return;
    function mark() {
      var line = headerHeight() + 24;
      var current = -1;
      headings.forEach(function (heading, i) {
        if (heading && heading.getBoundingClientRect().top <= line) current = i;
      });
      if (current < 0) current = 0;
      // at the very end the last sections may never reach the line: the last one in view is read
      var root = document.documentElement;
      if (window.scrollY > 0 && window.innerHeight + window.scrollY >= root.scrollHeight - 2) {
        headings.forEach(function (heading, i) {
          if (heading && heading.getBoundingClientRect().top < window.innerHeight) current = i;
        });
      }
      links.forEach(function (link, i) {
        if (i === current) link.setAttribute("aria-current", "location");
        else link.removeAttribute("aria-current");
      });
      var active = links[current];
      // keep the marked entry in view inside a long, scrolling table of contents
      if (active && toc.scrollHeight > toc.clientHeight) {
        var top = active.offsetTop - toc.offsetTop;
        if (top < toc.scrollTop || top > toc.scrollTop + toc.clientHeight - active.offsetHeight) {
          toc.scrollTop = top - toc.clientHeight / 3;
        }
      }
    }
    var observer = new IntersectionObserver(mark, { rootMargin: "0px 0px -40% 0px", threshold: [0, 1] });
    headings.forEach(function (heading) { if (heading) observer.observe(heading); });
    // a jump (the End key, a link, the scroll bar) can carry a heading past the reading line
    // between two observations: the scroll position decides too, once per frame
    var queued = false;
    window.addEventListener("scroll", function () {
      if (queued) return;
      queued = true;
      requestAnimationFrame(function () { queued = false; mark(); });
    }, { passive: true });
    window.addEventListener("hashchange", mark);
    mark();
  }

  function headerHeight() {
    var header = document.querySelector(".site-header");
    return header ? header.getBoundingClientRect().height : 0;
  }

  // "Back to top" shows once the reader is a screen or more down a long page.
  function setUpBackToTop() {
    var link = document.querySelector(".back-to-top");
    var top = document.getElementById("top");
    if (!link || !top || !("IntersectionObserver" in window)) return;
    var marker = document.createElement("div");
    marker.className = "top-marker";
    marker.setAttribute("aria-hidden", "true");
    document.body.insertBefore(marker, document.body.firstChild);
    new IntersectionObserver(function (entries) {
      link.hidden = entries[entries.length - 1].isIntersecting;
    }).observe(marker);
    link.addEventListener("click", function (event) {
      event.preventDefault();
      window.scrollTo({ top: 0 });
      var skip = document.querySelector(".site-title");
      if (skip) skip.focus({ preventScroll: true });
    });
  }

  // Where no font draws the status emoji (they would be empty boxes), the status words show.
  function checkEmoji() {
    var sample = document.querySelector(".status-emoji");
    if (!sample) return;
    var canvas = document.createElement("canvas");
    canvas.width = canvas.height = 24;
    var context = canvas.getContext && canvas.getContext("2d", { willReadFrequently: true });
    if (!context) return;
    var font = getComputedStyle(sample).fontFamily;
    function pixels(text) {
      context.clearRect(0, 0, 24, 24);
      context.font = "16px " + font;
      context.textBaseline = "top";
      context.fillStyle = "#000";
      context.fillText(text, 2, 2);
      return Array.prototype.join.call(context.getImageData(0, 0, 24, 24).data, ",");
    }
    var missing = pixels("\u0378");
    var drawn = Array.prototype.every.call(document.querySelectorAll(".status-emoji"), function (emoji) {
      var text = emoji.textContent.trim();
      return !text || pixels(text) !== missing;
    });
    if (!drawn) document.documentElement.classList.add("no-emoji");
  }

  // A box that scrolls sideways (a wide formula, table or code block) can be scrolled with the
  // keyboard: it takes the focus, once it is wider than its place.
  var SCROLLERS = ".math-display, pre, .table-scroll, .chart-scroll, .note-body table";
  function focusableScrollers() {
    document.querySelectorAll(SCROLLERS).forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-focus", "");
      } else if (!scrolls && box.hasAttribute("data-scroll-focus")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-focus");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpThemeToggle();
    focusableScrollers();
    var pending = 0;
    function later() { cancelAnimationFrame(pending); pending = requestAnimationFrame(focusableScrollers); }
    window.addEventListener("resize", later);
    document.addEventListener("toggle", later, true);  // an opened <details> shows its boxes
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
    setUpContents();
    setUpBackToTop();
    checkEmoji();
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
