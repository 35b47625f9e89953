// Draws the measurement chart of the health record with the local plotly.js (no CDN). One subplot per kind.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("records-chart");
  if (!el || typeof Plotly === "undefined") return;
  var series = JSON.parse(el.dataset.series || "{}");
  var kinds = Object.keys(series);
  if (!kinds.length) { el.textContent = el.dataset.empty || ""; el.classList.add("empty"); return; }
  var traces = [], layout = {grid: {rows: kinds.length, columns: 1, pattern: "independent"}, height: 220 * kinds.length,
    margin: {t: 20, l: 50, r: 10, b: 30}, showlegend: false};
  kinds.forEach(function (kind, i) {
    var s = series[kind], axis = i === 0 ? "" : String(i + 1);
    var colours = s.flag.map(function (f) { return f ? "#c62828" : "#1565c0"; });
    traces.push({x: s.x, y: s.y, name: s.label, type: "scatter", mode: "lines+markers", xaxis: "x" + axis,
      yaxis: "y" + axis, marker: {color: colours}});
    if (s.y2.some(function (v) { return v !== null; })) {
      traces.push({x: s.x, y: s.y2, name: s.label, type: "scatter", mode: "lines+markers", xaxis: "x" + axis,
        yaxis: "y" + axis, marker: {color: colours}, line: {dash: "dot"}});
    }
    layout["yaxis" + axis] = {title: {text: s.label + " (" + s.unit + ")"}};
    // one time axis for all subplots, so a single height reading does not get a sub-second axis of its own
    layout["xaxis" + axis] = i === 0 ? {type: "date"} : {type: "date", matches: "x"};
  });
  // Month and day names follow the page's language (static/vendor/plotly-locale-zh-cn.js registers zh-CN).
  var locale = /^zh/i.test(document.documentElement.lang) ? "zh-CN" : "en";
  // No mode bar: plotly.js styles it with an inline <style> per chart, which the Content-Security-Policy blocks
  // (zooming by dragging and double-click to reset still work).
  Plotly.newPlot(el, traces, layout, {responsive: true, displaylogo: false, displayModeBar: false, locale: locale});
});
