// A sensor's values over a span of time as an inline SVG line chart: a path through the points and a circle per point,
// each with its own description as a tooltip. The chart is one stop for the keyboard: the arrow keys (Home, End) move
// from point to point, and a line under it reads the chosen point out (to screen readers too). No library; every value
// goes in as text.
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
const dayAndClock = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" });

/**
 * Draws points ({ time, value, text }, oldest first) between from and to (Dates) as an SVG described by label, with
 * the line that reads out the point chosen by keyboard or pointer; the vertical scale spans the points' values (padded
 * when they are all equal), or runs from zero for counts (fromZero).
 */
export function sensorChart(label, points, from, to, { fromZero = false } = {}) {
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", tabindex: 0,
    "aria-label": `${label}, ${points.length} ${points.length === 1 ? "point" : "points"}: use the arrow keys to read them`,
  });
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
  // Over half a day, the ends of the time axis need their dates.
  const ends = span > 43_200_000 ? dayAndClock : clock;
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
    svg("text", { x: margin.left, y: height - 6, "text-anchor": "start" }, ends.format(from)),
    svg("text", { x: width - margin.right, y: height - 6, "text-anchor": "end" }, ends.format(to)));
  chart.append(axes);

  const line = points.map((point, index) =>
    `${index === 0 ? "M" : "L"}${x(point.time).toFixed(1)},${y(point.value).toFixed(1)}`).join(" ");
  chart.append(svg("path", { class: "line", d: line }));

  const circles = svg("g", { class: "points" });
  for (const point of points) {
    const circle = svg("circle", { class: "point", cx: x(point.time).toFixed(1), cy: y(point.value).toFixed(1), r: 4, "data-time": point.time });
    circle.append(svg("title", {}, point.text));
    circles.append(circle);
  }
  chart.append(circles);

  const readout = document.createElement("p");
  readout.className = "chart-readout";
  readout.setAttribute("aria-live", "polite");
  const frame = document.createElement("div");
  frame.className = "chart-frame";
  frame.append(chart, readout);

  let chosen = -1;
  const choose = (index) => {
    const all = circles.children;
    if (all.length === 0) return;
    all[chosen]?.classList.remove("chosen");
    chosen = Math.max(0, Math.min(all.length - 1, index));
    all[chosen].classList.add("chosen");
    readout.textContent = `${points[chosen].text} (point ${chosen + 1} of ${points.length})`;
  };
  chart.addEventListener("focus", () => {
    if (chosen < 0) choose(points.length - 1);
  });
  chart.addEventListener("keydown", (event) => {
    const moves = { ArrowLeft: chosen - 1, ArrowDown: chosen - 1, ArrowRight: chosen + 1, ArrowUp: chosen + 1, Home: 0, End: points.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    choose(moves[event.key]);
  });
  circles.addEventListener("click", (event) => {
    const index = [...circles.children].indexOf(event.target.closest("circle"));
    if (index >= 0) choose(index);
  });
  // A chart drawn again (new readings) takes over the focus and the chosen point's time from the one it replaces.
  // (had the focus is told, since the previous chart has lost it once it is out of the page).
  frame.takeOver = (previous, hadFocus) => {
    const time = previous.querySelector("circle.chosen")?.dataset.time;
    if (time !== undefined) choose(points.findLastIndex((point) => String(point.time) <= time));
    if (hadFocus) chart.focus({ preventScroll: true });
  };
  return frame;
}
