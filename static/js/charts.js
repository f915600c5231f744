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
      var config = Object.assign({}, CONFIG, {
        toImageButtonOptions: Object.assign({}, CONFIG.toImageButtonOptions, {
          filename: container.getAttribute("data-chart-filename") || "chart",
        }),
      });
      window.Plotly.newPlot(container, figure.data, figure.layout, config);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
