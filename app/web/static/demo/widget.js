// Candor's embeddable chat widget, in one tag:
//   <script src="https://candor.example.com/demo/widget.js" data-key="cnd_…" defer></script>
// Optional: data-target (a CSS selector to mount into; default: right after this tag),
// data-customer-id, data-channel, data-locale, data-title, data-model (the model name
// sent; Candor's CANDOR_BACKEND_MODEL overrides it), data-api (Candor's origin when it is
// not where this file came from). A classic script, so that it can find its own tag;
// the widget itself is an ES module loaded from beside it.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var here = new URL(script.src, location.href);
  var data = script.dataset;
  var base = data.api || here.origin;

  var style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = new URL("widget.css", here).href;
  document.head.appendChild(style);

  var host = data.target ? document.querySelector(data.target) : null;
  if (!host) {
    host = document.createElement("div");
    host.className = "candor-widget";
    script.insertAdjacentElement("afterend", host);
  }
  import(new URL("widget-app.js", here).href).then(function (module) {
    module.mountWidget(host, {
      key: data.key,
      base: base === location.origin ? "" : base,
      customerId: data.customerId,
      channel: data.channel,
      locale: data.locale,
      title: data.title,
      model: data.model,
    });
  });
})();
