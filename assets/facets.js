// papernotes facets: filter the home page's notes by status, category, venue, year and tag,
// combined. Counts follow the other active filters; the state lives in the URL (?status=read&…),
// so a filtered view can be bookmarked and shared. Without JavaScript every note is listed.
(function () {
  "use strict";
  var form = document.querySelector("form.facets");
  if (!form) return;
  var rows = Array.prototype.slice.call(document.querySelectorAll(".note-row"));
  var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-facet]"));
  var summary = form.querySelector(".facet-summary");
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.category"));
  var total = rows.length;
  var facets = selects.map(function (s) { return s.getAttribute("data-facet"); });
  var labels = {};
  selects.forEach(function (select) {
    Array.prototype.forEach.call(select.options, function (o) { labels[select.getAttribute("data-facet") + "\u0000" + o.value] = o.textContent; });
  });

  // What each row offers per facet (a category row also counts for its parent categories).
  var values = rows.map(function (row) {
    var category = row.getAttribute("data-category") || "";
    var parts = category.split("/");
    var categories = parts.map(function (_, i) { return parts.slice(0, i + 1).join("/"); });
    var tags = [];
    try { tags = JSON.parse(row.getAttribute("data-tags") || "[]"); } catch (e) { tags = []; }
    return {
      status: [row.getAttribute("data-status") || ""],
      category: categories,
      venue: row.hasAttribute("data-venue") ? [row.getAttribute("data-venue")] : [],
      year: row.hasAttribute("data-year") ? [row.getAttribute("data-year")] : [],
      tags: tags,
      cited: ["1", "3"].filter(function (n) { return +(row.getAttribute("data-cited-by") || 0) >= +n; })
    };
  });

  function state() {
    var chosen = {};
    selects.forEach(function (s) { if (s.value) chosen[s.getAttribute("data-facet")] = s.value; });
    return chosen;
  }

  function matches(i, chosen, except) {
    for (var facet in chosen) {
      if (facet !== except && values[i][facet].indexOf(chosen[facet]) < 0) return false;
    }
    return true;
  }

  function apply(updateUrl) {
    var chosen = state();
    var shown = 0;
    rows.forEach(function (row, i) {
      var visible = matches(i, chosen, null);
      row.hidden = !visible;
      if (visible) shown++;
    });
    // Counts per option: the notes that would show if this option were chosen instead.
    facets.forEach(function (facet, f) {
      var counts = {};
      rows.forEach(function (_, i) {
        if (!matches(i, chosen, facet)) return;
        values[i][facet].forEach(function (v) { counts[v] = (counts[v] || 0) + 1; });
      });
      Array.prototype.forEach.call(selects[f].options, function (option) {
        var label = labels[facet + "\u0000" + option.value];
        if (!option.value) { option.textContent = label; return; }
        var n = counts[option.value] || 0;
        option.textContent = label + " (" + n + ")";
        option.disabled = n === 0 && selects[f].value !== option.value;
      });
    });
    sections.forEach(function (section) {
      section.hidden = !section.querySelector(".note-row:not([hidden])");
    });
    summary.textContent = Object.keys(chosen).length
      ? "Showing " + shown + " of " + total + " notes · 显示 " + shown + " / " + total + " 篇"
      : total + " notes · 共 " + total + " 篇";
    if (updateUrl) {
      var params = new URLSearchParams(location.search);
      facets.forEach(function (facet) {
        var key = facet === "tags" ? "tag" : facet;
        if (chosen[facet]) params.set(key, chosen[facet]); else params.delete(key);
      });
      var query = params.toString();
      history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
    }
  }

  function fromUrl() {
    var params = new URLSearchParams(location.search);
    selects.forEach(function (select) {
      var facet = select.getAttribute("data-facet");
      var wanted = params.get(facet === "tags" ? "tag" : facet) || "";
      var known = Array.prototype.some.call(select.options, function (o) { return o.value === wanted; });
      select.value = known ? wanted : "";
    });
  }

  form.hidden = false;
  fromUrl();
  apply(false);
  form.addEventListener("change", function () { apply(true); });
  form.addEventListener("reset", function () { setTimeout(function () { apply(true); }, 0); });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  window.addEventListener("popstate", function () { fromUrl(); apply(false); });
})();
