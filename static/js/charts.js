// Draw every chart whose plotly figure is embedded as JSON in the page:
// <div data-chart-figure="ID"> is drawn from <script type="application/json" id="ID">.
// plotly.js is served by the app and loaded with a plain <script> before this file.
(function () {
  "use strict";

  var CONFIG = {
    displaylogo: false,
    // plotly.js 4 adds a "Share chart" button that uploads the data to Plotly Cloud: never.
    showSendToCloud: false,
    plotlyServerURL: "",
    responsive: true,
    modeBarButtonsToRemove: ["select2d", "lasso2d"],
    toImageButtonOptions: { format: "png", scale: 2 },
  };

  // plotly's own exporter, as SVG (scalable, for reports): no server-side browser is needed.
  function svgButton(filename) {
    return {
      name: "downloadSvg",
      title: "Download plot as an SVG",
      icon: window.Plotly.Icons.disk,
      click: function (graph) {
        window.Plotly.downloadImage(graph, { format: "svg", filename: filename });
      },
    };
  }

  function drawAll() {
    if (typeof window.Plotly === "undefined") {
      return;
    }
    var containers = document.querySelectorAll("[data-chart-figure]");
    Array.prototype.forEach.call(containers, function (container) {
      var source = document.getElementById(container.getAttribute("data-chart-figure"));
      if (!source) {
        return;
      }
      var figure = JSON.parse(source.textContent);
      var filename = container.getAttribute("data-chart-filename") || "chart";
      var config = Object.assign({}, CONFIG, {
        toImageButtonOptions: Object.assign({}, CONFIG.toImageButtonOptions, {
          filename: filename,
        }),
        modeBarButtonsToAdd: [svgButton(filename)],
      });
      // Reserve the figure's own height, so a short chart leaves no gap below it.
      if (figure.layout && figure.layout.height) {
        container.style.minHeight = figure.layout.height + "px";
      }
      window.Plotly.newPlot(container, figure.data, figure.layout, config);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
