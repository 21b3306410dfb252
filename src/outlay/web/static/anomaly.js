// outlay anomaly page: the group's daily cost with its expected value and band (plotly).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const element = document.getElementById("anomaly-data");
  const chart = document.getElementById("chart");
  if (!element || !chart || typeof Plotly === "undefined") return;
  const points = JSON.parse(element.textContent);
  const x = points.map((p) => p.date);
  const num = (value) => (value === null ? null : Number(value));
  const band = points.map((p) => num(p.upper));
  const traces = [
    { x, y: points.map((p) => num(p.expected)), name: "expected", type: "scatter", mode: "lines",
      line: { color: "#8d96a8", dash: "dot" } },
    { x, y: band, name: "band", type: "scatter", mode: "lines", fill: "tonexty",
      fillcolor: "rgba(141,150,168,0.18)", line: { color: "rgba(141,150,168,0.5)", width: 1 } },
    { x, y: points.map((p) => num(p.actual)), name: "actual", type: "bar",
      marker: { color: points.map((p, i) => (band[i] !== null && num(p.actual) > band[i] ? "#ed4a7b" : "#3553d6")) } },
  ];
  Plotly.newPlot(chart, traces, {
    margin: { t: 10, r: 10, b: 40, l: 60 }, yaxis: { tickprefix: "$" }, xaxis: { type: "date" },
    legend: { orientation: "h" }, barmode: "overlay",
  }, { displayModeBar: false, responsive: true });
});
