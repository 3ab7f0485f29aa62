// papernotes facets: filter the home page's notes by status, category, venue, year and tag,
// combined. Every count on the page follows the active filters (the options, the status legend,
// each section's heading); a section with no note left is hidden. The filters sit behind one
// "Filter" disclosure, the ones in use are chips that remove them. The state lives in the URL
// (?status=read&…), so a filtered view can be bookmarked and shared. Without JavaScript every
// note is listed.
(function () {
  "use strict";
  var form = document.querySelector("form.facets");
  if (!form) return;
  var disclosure = form.closest("details.filters");
  var chips = document.querySelector(".chips");
  var filterCount = document.querySelector(".filter-count");
  var rows = Array.prototype.slice.call(document.querySelectorAll(".note-row"));
  var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-facet]"));
  var summary = document.querySelector(".facet-summary");
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.category")).map(function (section) {
    return {
      element: section,
      count: section.querySelector(":scope > .category-title .count"),
      rows: Array.prototype.slice.call(section.querySelectorAll(".note-row")).map(function (row) { return rows.indexOf(row); })
    };
  });
  var legend = Array.prototype.slice.call(document.querySelectorAll(".legend a[data-status]"));
  var total = rows.length;
  var facets = selects.map(function (s) { return s.getAttribute("data-facet"); });
  var names = {};
  var labels = {};
  selects.forEach(function (select) {
    var facet = select.getAttribute("data-facet");
    names[facet] = select.parentNode.firstChild.textContent.trim();
    Array.prototype.forEach.call(select.options, function (o) { labels[facet + "\u0000" + o.value] = o.textContent; });
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

  // Counts per value of a facet: the notes that would show if this value were chosen instead.
  function countsFor(facet, chosen) {
    var counts = {};
    rows.forEach(function (_, i) {
      if (!matches(i, chosen, facet)) return;
      values[i][facet].forEach(function (v) { counts[v] = (counts[v] || 0) + 1; });
    });
    return counts;
  }

  function showChips(chosen) {
    chips.textContent = "";
    facets.forEach(function (facet, f) {
      if (!chosen[facet]) return;
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "chip";
      button.setAttribute("data-remove", facet);
      var text = labels[facet + "\u0000" + chosen[facet]].trim();
      button.setAttribute("aria-label", "Remove filter 移除筛选: " + names[facet] + " " + text);
      var name = document.createElement("span");
      name.className = "chip-name";
      name.textContent = names[facet] + ": ";
      var cross = document.createElement("span");
      cross.setAttribute("aria-hidden", "true");
      cross.className = "chip-x";
      cross.textContent = "×";
      button.appendChild(name);
      button.appendChild(document.createTextNode(text + " "));
      button.appendChild(cross);
      item.appendChild(button);
      chips.appendChild(item);
    });
    chips.hidden = !chips.firstChild;
    var n = Object.keys(chosen).length;
    filterCount.textContent = n ? " (" + n + ")" : "";
  }

  function apply(updateUrl) {
    var chosen = state();
    var shown = 0;
    var visible = rows.map(function (row, i) {
      var show = matches(i, chosen, null);
      row.hidden = !show;
      if (show) shown++;
      return show;
    });
    facets.forEach(function (facet, f) {
      var counts = countsFor(facet, chosen);
      Array.prototype.forEach.call(selects[f].options, function (option) {
        var label = labels[facet + "\u0000" + option.value];
        if (!option.value) { option.textContent = label; return; }
        var n = counts[option.value] || 0;
        option.textContent = label + " (" + n + ")";
        option.disabled = n === 0 && selects[f].value !== option.value;
      });
    });
    var byStatus = countsFor("status", chosen);
    legend.forEach(function (link) {
      var count = link.querySelector(".count");
      if (count) count.textContent = String(byStatus[link.getAttribute("data-status")] || 0);
    });
    sections.forEach(function (section) {
      var n = section.rows.filter(function (i) { return visible[i]; }).length;
      section.element.hidden = n === 0;
      if (section.count) section.count.textContent = String(n);
    });
    summary.textContent = Object.keys(chosen).length
      ? "Showing " + shown + " of " + total + " notes · 显示 " + shown + " / " + total + " 篇"
      : total + " notes · 共 " + total + " 篇";
    showChips(chosen);
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
  if (disclosure) disclosure.hidden = false;
  summary.hidden = false;
  fromUrl();
  apply(false);
  form.addEventListener("change", function () { apply(true); });
  form.addEventListener("reset", function () { setTimeout(function () { apply(true); }, 0); });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  chips.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-remove]");
    if (!button) return;
    var facet = button.getAttribute("data-remove");
    var index = Array.prototype.indexOf.call(chips.querySelectorAll("button[data-remove]"), button);
    selects[facets.indexOf(facet)].value = "";
    apply(true);
    // keep the keyboard where it was: on the next chip, or on the Filter button
    var left = chips.querySelectorAll("button[data-remove]");
    var next = left[Math.min(index, left.length - 1)];
    (next || (disclosure && disclosure.querySelector("summary")) || form).focus();
  });
  window.addEventListener("popstate", function () { fromUrl(); apply(false); });
})();
