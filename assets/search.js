// papernotes search: Pagefind's index, loaded on first use; results as you type, with the
// matched words highlighted, keyboard navigation, and status/category filters.
(function () {
  "use strict";
  var box = document.querySelector(".search[data-pagefind]");
  if (!box) return;
  box.hidden = false;
  var input = box.querySelector("input[type=search]");
  var panel = box.querySelector(".search-panel");
  var list = box.querySelector(".search-results");
  var status = box.querySelector(".search-status");
  var selects = box.querySelectorAll("select[data-filter]");
  var bundle = new URL(box.getAttribute("data-pagefind"), location.href).href;
  var root = new URL(box.getAttribute("data-root"), location.href).pathname.replace(/index\.html$/, "");
  var SHOWN = 20;     // results listed
  var CHECKED = 60;   // results loaded to check Latin words against
  var loading = null;
  var serial = 0;
  var active = -1;
  var timer = null;

  // Chinese written without spaces: long runs of Han characters are split into two-character
  // words, which is how Pagefind's segmenter indexes most Chinese terms (参数高效微调 -> 参数 高效 微调).
  function splitQuery(query) {
    return query.replace(/[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{5,}/g, function (run) {
      return run.match(/[\s\S]{1,2}/g).join(" ");
    });
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

  function load() {
    if (!loading) {
      loading = import(bundle).then(function (pagefind) {
        return Promise.resolve(pagefind.options({ baseUrl: root, excerptLength: 30 })).then(function () {
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

  function open(show) {
    panel.hidden = !show;
    input.setAttribute("aria-expanded", show ? "true" : "false");
  }

  function choose(index) {
    var items = list.querySelectorAll("li");
    items.forEach(function (item, i) { item.classList.toggle("active", i === index); item.setAttribute("aria-selected", i === index ? "true" : "false"); });
    active = index;
    if (items[index]) items[index].scrollIntoView({ block: "nearest" });
  }

  function run() {
    var query = input.value.trim();
    var mine = ++serial;
    if (!query) {
      list.innerHTML = "";
      status.textContent = "";
      open(false);
      return;
    }
    load().then(function (pagefind) {
      var filters = {};
      selects.forEach(function (select) { if (select.value) filters[select.getAttribute("data-filter")] = select.value; });
      return pagefind.search(splitQuery(query), { filters: filters });
    }).then(function (search) {
      if (mine !== serial || !search) return null;
      // Pagefind's Chinese mode also returns pages for Latin words it does not know (a typo
      // matches on single letters), so Latin query words must really occur in a result.
      var latin = (query.toLowerCase().match(/[a-z0-9][a-z0-9.+\-]*/g) || []).filter(function (w) { return w.length > 1; });
      var pool = search.results.slice(0, latin.length ? CHECKED : SHOWN);
      return Promise.all(pool.map(function (r) { return r.data(); })).then(function (data) {
        var kept = data.filter(function (item) {
          if (!latin.length) return true;
          var text = (((item.meta && item.meta.title) || "") + " " + (item.content || "")).toLowerCase();
          return latin.every(function (word) { return text.indexOf(word) >= 0; });
        });
        var more = search.results.length > pool.length;
        return { total: kept.length + (more && !latin.length ? search.results.length - pool.length : 0),
                 more: more && latin.length > 0, data: kept.slice(0, SHOWN) };
      });
    }).then(function (found) {
      if (!found || mine !== serial) return;
      list.innerHTML = found.data.map(function (item, i) {
        var title = (item.meta && item.meta.title) || item.url;
        return '<li role="option" id="search-result-' + i + '"><a href="' + escapeHtml(item.url) + '">' +
          '<span class="result-title">' + escapeHtml(title) + '</span>' +
          '<span class="result-excerpt">' + safeExcerpt(item.excerpt || "") + "</span></a></li>";
      }).join("");
      var count = found.total + (found.more ? "+" : "");
      status.textContent = found.total ? count + " result" + (found.total === 1 && !found.more ? "" : "s") + " · " + count + " 条结果"
        : "No results 没有结果";
      open(true);
      choose(found.data.length ? 0 : -1);
    }).catch(function () { /* reported by load() */ });
  }

  input.addEventListener("focus", function () { load().catch(function () {}); if (input.value.trim()) open(true); });
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 80); });
  selects.forEach(function (select) { select.addEventListener("change", run); });
  input.addEventListener("keydown", function (event) {
    var count = list.querySelectorAll("li").length;
    if (event.key === "ArrowDown" && count) { event.preventDefault(); choose((active + 1) % count); }
    else if (event.key === "ArrowUp" && count) { event.preventDefault(); choose((active - 1 + count) % count); }
    else if (event.key === "Enter") {
      var link = list.querySelectorAll("li a")[active];
      if (link) { event.preventDefault(); location.href = link.href; }
    } else if (event.key === "Escape") { open(false); input.blur(); }
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
