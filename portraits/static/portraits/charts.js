/* Draw every chart described by a <script type="application/json" data-chart> block (plotly, served locally). */
(function () {
  // Month and day names follow the page's language (static/vendor/plotly-locale-zh-cn.js registers zh-CN).
  function pageLocale() { return /^zh/i.test(document.documentElement.lang) ? "zh-CN" : "en"; }
  function draw() {
    document.querySelectorAll("script[data-chart]").forEach(function (node) {
      var spec = JSON.parse(node.textContent);
      var target = document.getElementById(node.dataset.chart);
      if (!target || !window.Plotly) { return; }
      Plotly.newPlot(target, spec.data, Object.assign({margin: {t: 30, l: 40, r: 10, b: 40}, height: 280}, spec.layout || {}),
        {displayModeBar: false, responsive: true, locale: pageLocale()});
      target.setAttribute("data-rendered", "1");
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
