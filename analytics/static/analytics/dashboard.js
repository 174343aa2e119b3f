// Draws every chart an HTMX partial brings (canvas[data-chart] holds a Chart.js configuration).
function drawCharts(root) {
  root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    if (canvas.chart) return;
    canvas.chart = new Chart(canvas, JSON.parse(canvas.dataset.chart));
  });
}
document.addEventListener("htmx:afterSettle", function (event) { drawCharts(event.target); });
document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
