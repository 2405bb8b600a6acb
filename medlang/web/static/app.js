// Render every chart on the page: each <figure data-chart> carries its Vega-Lite
// spec as JSON. SVG output, so charts stay crisp and can be checked in tests.
// Runs once the document is parsed: the report inlines this script in <head>.
"use strict";
function renderCharts() {
  document.querySelectorAll("figure[data-chart]").forEach(function (figure) {
    var spec = JSON.parse(figure.querySelector("script[type='application/json']").textContent);
    vegaEmbed(figure.querySelector(".chart-target"), spec, { actions: false, renderer: "svg" })
      .then(function () { figure.dataset.rendered = "yes"; })
      .catch(function (error) { figure.dataset.rendered = "error"; console.error(error); });
  });
}
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", renderCharts);
} else {
  renderCharts();
}
