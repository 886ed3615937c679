// A sensor's values over a span of time as an inline SVG line chart: a path through the points and a circle per point,
// each with its own description as a tooltip. No library; every value goes in as text.
const svgNamespace = "http://www.w3.org/2000/svg";

const width = 640;
const height = 200;
const margin = { top: 16, right: 16, bottom: 30, left: 64 };

function svg(tag, attributes = {}, text) {
  const element = document.createElementNS(svgNamespace, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 });
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });

/**
 * Draws points ({ time, value, text }, oldest first) between from and to (Dates) as an SVG described by label; the
 * vertical scale spans the points' values (padded when they are all equal), or runs from zero for counts (fromZero).
 */
export function sensorChart(label, points, from, to, { fromZero = false } = {}) {
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label });
  chart.append(svg("title", {}, label));

  const values = points.map((point) => point.value);
  let low = fromZero ? 0 : Math.min(...values);
  let high = Math.max(...values);
  if (low === high) {
    low -= fromZero ? 0 : 1;
    high += 1;
  }

  const start = from.getTime();
  const span = Math.max(1, to.getTime() - start);
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const x = (time) => margin.left + ((new Date(time).getTime() - start) / span) * plotWidth;
  const y = (value) => margin.top + (1 - (value - low) / (high - low)) * plotHeight;

  const axes = svg("g", { class: "axes" });
  axes.append(
    svg("line", { x1: margin.left, y1: margin.top, x2: margin.left, y2: height - margin.bottom }),
    svg("line", { x1: margin.left, y1: height - margin.bottom, x2: width - margin.right, y2: height - margin.bottom }),
    svg("text", { x: margin.left - 6, y: margin.top + 6, "text-anchor": "end" }, number.format(high)),
    svg("text", { x: margin.left - 6, y: height - margin.bottom, "text-anchor": "end" }, number.format(low)),
    svg("text", { x: margin.left, y: height - 6, "text-anchor": "start" }, clock.format(from)),
    svg("text", { x: width - margin.right, y: height - 6, "text-anchor": "end" }, clock.format(to)));
  chart.append(axes);

  const line = points.map((point, index) =>
    `${index === 0 ? "M" : "L"}${x(point.time).toFixed(1)},${y(point.value).toFixed(1)}`).join(" ");
  chart.append(svg("path", { class: "line", d: line }));

  const circles = svg("g", { class: "points" });
  for (const point of points) {
    const circle = svg("circle", { class: "point", cx: x(point.time).toFixed(1), cy: y(point.value).toFixed(1), r: 4 });
    circle.append(svg("title", {}, point.text));
    circles.append(circle);
  }
  chart.append(circles);
  return chart;
}
