// papernotes search: Pagefind's index, loaded on first use; results as you type, with the
// matched words highlighted, keyboard navigation, and status/category filters.
// The input is an ARIA combobox that owns the result list: arrow keys move the highlighted
// option (aria-activedescendant follows it, focus stays in the input), Enter opens it, Escape
// closes the list.
(function () {
  "use strict";
  var box = document.querySelector(".search[data-pagefind]");
  if (!box) return;
  box.hidden = false;
  var input = box.querySelector("input[type=search]");
  input.setAttribute("role", "combobox");
  var panel = box.querySelector(".search-panel");
  var list = box.querySelector(".search-results");
  var status = box.querySelector(".search-status");
  var selects = box.querySelectorAll("select[data-filter]");
  var bundle = new URL(box.getAttribute("data-pagefind"), location.href).href;
  var root = new URL(box.getAttribute("data-root"), location.href).pathname.replace(/index\.html$/, "");
  var SHOWN = 20;     // results listed
  var CHECKED = 60;   // results loaded to check Latin words against
  // Matches in a note's metadata add to its score (Pagefind: weight x IDF x coverage squared), on
  // top of matches in its text: the title counts most, then tags and authors, then the venue.
  var META_WEIGHTS = { title: 8, tags: 5, authors: 5, venue: 2 };
  var loading = null;
  var sharded = false;  // the index is in more than one shard
  var serial = 0;
  var active = -1;
  var timer = null;

  // Chinese written without spaces: long runs of Han characters are split into two-character
  // words, which is how Pagefind's segmenter indexes most Chinese terms (参数高效微调 -> 参数 高效 微调).
  var HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g;
  function splitQuery(query) {
    return query.replace(/[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{5,}/g, function (run) {
      return run.match(/[\s\S]{1,2}/g).join(" ");
    });
  }

  // Whether a Chinese query word (a run of Han characters, at most four: longer ones are split
  // by splitQuery) is in ``text`` as Pagefind would have matched it in one index: a word of one
  // or two characters as it is, one of four as its two halves (知识蒸馏: 知识 and 蒸馏, wherever they
  // are), one of three character by character.
  function hanFound(word, text) {
    if (word.length <= 2) return text.indexOf(word) >= 0;
    if (word.length === 4) return text.indexOf(word.slice(0, 2)) >= 0 && text.indexOf(word.slice(2)) >= 0;
    return Array.from(word).every(function (c) { return text.indexOf(c) >= 0; });
  }

  function escapeHtml(text) {
    return text.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // Pagefind's excerpt marks matches with <mark>; keep exactly that markup and escape the rest.
  function safeExcerpt(excerpt) {
    var text = excerpt.replace(/<mark>/g, "\u0001").replace(/<\/mark>/g, "\u0002").replace(/<[^>]*>/g, "");
    var div = document.createElement("div");
    div.innerHTML = text;  // decode entities Pagefind produced
    return escapeHtml(div.textContent || "").replace(/\u0001/g, "<mark>").replace(/\u0002/g, "</mark>");
  }

  // The index may be in shards (pagefind/shards.json lists them, shard 0 first): shard 0 is
  // loaded, the others are merged into it, so results, filter counts and ranking span them all.
  function shards() {
    return fetch(new URL("shards.json", bundle).href).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (listed) {
      var site = new URL(box.getAttribute("data-root"), location.href);
      sharded = !!(listed && listed.bundles && listed.bundles.length > 1);
      return ((listed && listed.bundles) || []).slice(1).map(function (entry) { return new URL(entry.path, site).href; });
    }).catch(function () { return []; });
  }

  function load() {
    if (!loading) {
      var settings = { baseUrl: root, excerptLength: 30, ranking: { metaWeights: META_WEIGHTS } };
      loading = Promise.all([import(bundle), shards()]).then(function (both) {
        var pagefind = both[0];
        return Promise.resolve(pagefind.options(settings)).then(function () {
          return Promise.all(both[1].map(function (url) { return pagefind.mergeIndex(url, settings); }));
        }).then(function () {
          return pagefind.filters();
        }).then(function (filters) {
          selects.forEach(function (select) {
            var values = filters[select.getAttribute("data-filter")] || {};
            Object.keys(values).sort().forEach(function (value) {
              var option = document.createElement("option");
              option.value = value;
              option.textContent = value + " (" + values[value] + ")";
              select.appendChild(option);
            });
          });
          return pagefind;
        });
      });
      loading.catch(function () {
        status.textContent = location.protocol === "file:"
          ? "Search needs the site to be served over HTTP (python3 -m http.server -d site). 搜索需要通过 HTTP 访问。"
          : "Search is not available: the site was built without a search index. 搜索索引不存在。";
        open(true);
      });
    }
    return loading;
  }

  function options() { return list.querySelectorAll("[role=option]"); }

  function open(show) {
    panel.hidden = !show;
    input.setAttribute("aria-expanded", show ? "true" : "false");
    if (!show) input.removeAttribute("aria-activedescendant");
    else if (options()[active]) input.setAttribute("aria-activedescendant", options()[active].id);
  }

  // Highlight option ``index`` (-1: none) and point the input's aria-activedescendant at it.
  function choose(index) {
    var all = options();
    all.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
      option.parentNode.classList.toggle("active", i === index);
    });
    active = all[index] ? index : -1;
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  // The list says which query and filters it shows (data-query, data-filters="status=…&category=…"),
  // so that scripts and tests can tell a finished search from one still in flight.
  function shownFor(query, filters) {
    list.setAttribute("data-query", query);
    list.setAttribute("data-filters", Object.keys(filters).sort().map(function (key) {
      return key + "=" + filters[key];
    }).join("&"));
  }

  function run() {
    var query = input.value.trim();
    var mine = ++serial;
    var filters = {};
    selects.forEach(function (select) { if (select.value) filters[select.getAttribute("data-filter")] = select.value; });
    if (!query) {
      list.innerHTML = "";
      status.textContent = "";
      shownFor(query, filters);
      choose(-1);
      open(false);
      return;
    }
    load().then(function (pagefind) {
      return pagefind.search(splitQuery(query), { filters: filters });
    }).then(function (search) {
      if (mine !== serial || !search) return null;
      // Pagefind's Chinese mode also returns pages for Latin words it does not know (a typo
      // matches on single letters), so Latin query words must really occur in a result. A shard
      // ignores a query word that none of its pages has (Pagefind's rule for a word it does not
      // know) and returns pages with the other words, so with shards the Chinese words are
      // checked too (hanFound).
      var latin = (query.toLowerCase().match(/[a-z0-9][a-z0-9.+\-]*/g) || []).filter(function (w) { return w.length > 1; });
      var han = sharded ? (splitQuery(query).match(HAN) || []) : [];
      var pool = search.results.slice(0, latin.length || han.length ? CHECKED : SHOWN);
      return Promise.all(pool.map(function (r) { return r.data(); })).then(function (data) {
        var kept = data.filter(function (item) {
          if (!latin.length && !han.length) return true;
          var meta = item.meta || {};
          var text = [meta.title, meta.tags, meta.authors, meta.venue, item.content].join(" ").toLowerCase();
          return latin.every(function (word) { return text.indexOf(word) >= 0; }) &&
            han.every(function (word) { return hanFound(word, text); });
        });
        var more = search.results.length > pool.length;
        // Latin words: "60+" when more matched than were checked. Chinese words alone: the whole
        // count when every page checked passed (the ones a shard should not have returned are
        // few and rank low), "60+" otherwise.
        var whole = !latin.length && (!han.length || kept.length === pool.length);
        return { total: kept.length + (more && whole ? search.results.length - pool.length : 0),
                 more: more && !whole, data: kept.slice(0, SHOWN) };
      });
    }).then(function (found) {
      if (!found || mine !== serial) return;
      list.innerHTML = found.data.map(function (item, i) {
        var title = (item.meta && item.meta.title) || item.url;
        return '<li role="presentation"><a role="option" tabindex="-1" aria-selected="false" id="search-result-' + i +
          '" href="' + escapeHtml(item.url) + '">' +
          '<span class="result-title">' + escapeHtml(title) + '</span>' +
          '<span class="result-excerpt">' + safeExcerpt(item.excerpt || "") + "</span></a></li>";
      }).join("");
      var count = found.total + (found.more ? "+" : "");
      status.textContent = found.total ? count + " result" + (found.total === 1 && !found.more ? "" : "s") + " · " + count + " 条结果"
        : "No results 没有结果";
      shownFor(query, filters);
      choose(found.data.length ? 0 : -1);
      open(true);
    }).catch(function () { /* reported by load() */ });
  }

  input.addEventListener("focus", function () { load().catch(function () {}); if (input.value.trim()) open(true); });
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 80); });
  selects.forEach(function (select) { select.addEventListener("change", run); });
  input.addEventListener("keydown", function (event) {
    var count = options().length;
    var shown = !panel.hidden;
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && count) {
      event.preventDefault();
      if (!shown) { open(true); return; }  // the list comes back as it was left
      choose(event.key === "ArrowDown" ? (active + 1) % count : (active - 1 + count) % count);
    } else if (event.key === "Enter") {
      var link = shown ? options()[active] : null;
      if (link) { event.preventDefault(); location.href = link.href; }
    } else if (event.key === "Escape" && shown) {
      event.preventDefault();  // close the list, keep what was typed (a second Escape clears it)
      open(false);
    }
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      input.focus();
      input.select();
    }
  });
  document.addEventListener("click", function (event) {
    if (!box.contains(event.target)) open(false);
  });
})();
