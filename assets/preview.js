// Hover previews: pointing at (or tabbing to) a link to another note in a note's text, its
// backlinks or related notes shows that note's title, status, venue and first paragraph, read
// from previews/<n>.json of this site: previews/index.json says how many such files there are,
// and a note is in file FNV-1a(its page name) mod that number (as emit/previews.py writes them). Escape, moving away or leaving the link hides it.
// Not on touch screens (pointer: coarse). The page reads the same without it.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.matchMedia) return;
  if (window.matchMedia("(pointer: coarse)").matches) return;
  var root = new URL("../", script.src).href; // the site's root: this file is assets/preview.js
  var notesRoot = root + "notes/";
  var AREAS = ".note-body, .note-web, section.citations";
  var HOVER_DELAY = 300, HIDE_DELAY = 200;
  var cache = new Map();  // preview file URL -> promise of its notes
  var fileCount = null;   // promise of previews/index.json's number of files
  var box = null, current = null, wanted = null, showTimer = 0, hideTimer = 0;

  function previewName(link) {  // the linked note's page name, or null
    var url;
    try { url = new URL(link.getAttribute("href"), document.baseURI); } catch (e) { return null; }
    if (url.origin !== location.origin) return null;
    var path = url.origin + url.pathname;
    if (path.indexOf(notesRoot) !== 0 || !/\.html$/.test(url.pathname)) return null;
    if (url.pathname === location.pathname) return null; // this page itself
    try { return decodeURIComponent(path.slice(notesRoot.length, -5)); } catch (e) { return null; }
  }

  function fnv1a(text) {
    var bytes = new TextEncoder().encode(text), hash = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
    return hash;
  }

  function fetchJson(url) {
    return fetch(url).then(function (response) {
      return response.ok ? response.json() : null;
    }).catch(function () { return null; });
  }

  function load(name) {
    if (!fileCount) fileCount = fetchJson(root + "previews/index.json");
    return fileCount.then(function (index) {
      if (!index || !index.files) return null;
      var url = root + "previews/" + (fnv1a(name) % index.files) + ".json";
      if (!cache.has(url)) cache.set(url, fetchJson(url));
      return cache.get(url).then(function (notes) {
        return notes && Object.prototype.hasOwnProperty.call(notes, name) ? notes[name] : null;
      });
    });
  }

  function ensureBox() {
    if (box) return box;
    box = document.createElement("div");
    box.className = "note-preview";
    box.id = "note-preview";
    box.setAttribute("role", "tooltip");
    box.hidden = true;
    box.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
    box.addEventListener("mouseleave", scheduleHide);
    document.body.appendChild(box);
    return box;
  }

  function fill(data) {
    var el = ensureBox();
    el.textContent = "";
    var title = document.createElement("p");
    title.className = "note-preview-title";
    title.textContent = data.title || "";
    var meta = document.createElement("p");
    meta.className = "note-preview-meta";
    meta.textContent = [data.status_label, data.venue, data.year].filter(function (x) { return x; }).join(" · ");
    el.appendChild(title);
    el.appendChild(meta);
    if (data.cites || data.cited_by) {
      var web = document.createElement("p");
      web.className = "note-preview-citations";
      web.textContent = "Cites " + (data.cites || 0) + " · cited by " + (data.cited_by || 0) +
        " of your notes · 引用 " + (data.cites || 0) + " 篇 · 被引 " + (data.cited_by || 0) + " 篇";
      el.appendChild(web);
    }
    if (data.text) {
      var text = document.createElement("p");
      text.className = "note-preview-text";
      text.textContent = data.text;
      el.appendChild(text);
    }
  }

  function place(link) {
    var rect = link.getBoundingClientRect();
    var width = box.offsetWidth, height = box.offsetHeight;
    var left = Math.max(8, Math.min(rect.left, document.documentElement.clientWidth - width - 8));
    var below = rect.bottom + 6, above = rect.top - height - 6;
    var top = (below + height > window.innerHeight && above > 0) ? above : below;
    box.style.left = (left + window.scrollX) + "px";
    box.style.top = (top + window.scrollY) + "px";
  }

  function show(link, delay) {
    var name = previewName(link);
    if (!name) return;
    clearTimeout(hideTimer);
    clearTimeout(showTimer);
    wanted = link;
    showTimer = setTimeout(function () {
      load(name).then(function (data) {
        if (wanted !== link) return; // the reader moved on meanwhile
        if (!data || (current && current !== link)) hide();
        if (!data) return;
        fill(data);
        current = link;
        box.hidden = false;
        link.setAttribute("aria-describedby", box.id);
        place(link);
      });
    }, delay);
  }

  function hide() {
    clearTimeout(showTimer);
    wanted = null;
    if (current) current.removeAttribute("aria-describedby");
    current = null;
    if (box) box.hidden = true;
  }

  function scheduleHide() {
    clearTimeout(showTimer);
    wanted = null;
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, HIDE_DELAY);
  }

  function linkOf(event) {
    var target = event.target;
    var link = target && target.closest ? target.closest("a[href]") : null;
    return link && link.closest(AREAS) ? link : null;
  }

  document.addEventListener("mouseover", function (event) {
    var link = linkOf(event);
    if (link && link !== current) show(link, HOVER_DELAY);
    else if (link) clearTimeout(hideTimer);
  });
  document.addEventListener("mouseout", function (event) {
    var link = linkOf(event);
    if (link && !(event.relatedTarget && link.contains(event.relatedTarget))) scheduleHide();
  });
  document.addEventListener("focusin", function (event) {
    var link = linkOf(event);
    if (link) show(link, 0);
  });
  document.addEventListener("focusout", function (event) {
    if (linkOf(event)) scheduleHide();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && box && !box.hidden) hide();
  });
})();
