// papernotes serve: reload this page when a rebuild changed it; show build errors on top.
// Added to pages by the preview server only; never part of a built site.
(function () {
  "use strict";
  var here = decodeURIComponent(location.pathname).replace(/^\/+/, "");
  if (here === "" || here.slice(-1) === "/") here += "index.html";
  var scrollKey = "papernotes-scroll:" + here;
  var saved = sessionStorage.getItem(scrollKey);
  if (saved !== null) {
    sessionStorage.removeItem(scrollKey);
    var restore = function () { window.scrollTo(0, parseFloat(saved) || 0); };
    if (document.readyState === "complete") restore(); else window.addEventListener("load", restore);
  }

  function overlay(errors) {
    var box = document.getElementById("papernotes-errors");
    if (!errors.length) {
      if (box) box.remove();
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.id = "papernotes-errors";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:50vh;overflow:auto;z-index:2147483647;" +
        "margin:0;padding:12px 16px;background:#3c1618;color:#ffd8d3;border-top:3px solid #ff6a69;" +
        "font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap;";
      document.body.appendChild(box);
    }
    box.textContent = "papernotes: the last rebuild has problems\n\n" + errors.join("\n");
  }

  var source = new EventSource("/__papernotes/events");
  source.addEventListener("rebuild", function (message) {
    var event = JSON.parse(message.data);
    overlay(event.errors || []);
    var errors = event.errors || [];
    var written = (event.pages || []).indexOf(here) >= 0;
    // A page removed because its note broke keeps its last good content under the overlay.
    var removed = (event.removed || []).indexOf(here) >= 0 && errors.length === 0;
    if (event.full || written || removed) {
      sessionStorage.setItem(scrollKey, String(window.scrollY));
      source.close();
      location.reload();
    }
  });
})();
