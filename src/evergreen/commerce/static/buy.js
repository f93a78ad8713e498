/* Evergreen's buy button: links marked data-evergreen-buy open the checkout in an overlay
   (an iframe of /buy/<slug>?embed=1) instead of leaving the page. Without this script the
   same links simply open the checkout page. Payment still happens on Evergreen's page. */
(function () {
  "use strict";
  if (window.evergreenBuy) { return; }
  var shade = null;
  var opener = null;

  function close() {
    if (!shade) { return; }
    shade.parentNode.removeChild(shade);
    shade = null;
    document.documentElement.style.overflow = "";
    if (opener && opener.focus) { opener.focus(); }
  }

  function open(link) {
    close();
    opener = link;
    var url = new URL(link.href, window.location.href);
    url.searchParams.set("embed", "1");
    shade = document.createElement("div");
    shade.setAttribute("data-evergreen-overlay", "");
    shade.setAttribute("role", "dialog");
    shade.setAttribute("aria-modal", "true");
    shade.setAttribute("aria-label", "Checkout");
    shade.style.cssText = "position:fixed;inset:0;z-index:2147483647;background:rgba(15,23,42,.6);" +
      "display:flex;align-items:center;justify-content:center;padding:0;margin:0";
    var box = document.createElement("div");
    box.style.cssText = "position:relative;width:100%;max-width:560px;height:100%;max-height:760px;" +
      "background:#fff;border-radius:8px;overflow:hidden;box-shadow:0 10px 40px rgba(0,0,0,.35)";
    var frame = document.createElement("iframe");
    frame.src = url.href;
    frame.title = "Checkout";
    frame.setAttribute("allow", "payment");
    frame.style.cssText = "border:0;width:100%;height:100%;display:block";
    var shut = document.createElement("button");
    shut.type = "button";
    shut.textContent = "\u00d7";
    shut.setAttribute("aria-label", "Close the checkout");
    shut.setAttribute("data-evergreen-close", "");
    shut.style.cssText = "position:absolute;top:6px;right:8px;width:36px;height:36px;border:0;" +
      "border-radius:18px;background:#f1f5f9;color:#0f172a;font:24px/36px sans-serif;cursor:pointer";
    shut.addEventListener("click", close);
    shade.addEventListener("click", function (event) { if (event.target === shade) { close(); } });
    box.appendChild(frame);
    box.appendChild(shut);
    shade.appendChild(box);
    document.body.appendChild(shade);
    document.documentElement.style.overflow = "hidden";
    shut.focus();
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var link = target && target.closest ? target.closest("a[data-evergreen-buy]") : null;
    if (!link || event.defaultPrevented || event.button !== 0 ||
        event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) { return; }
    event.preventDefault();
    open(link);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { close(); }
  });
  window.evergreenBuy = { open: open, close: close };
})();
