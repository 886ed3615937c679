import { api } from "./api.js";
import { sensorChart } from "./chart.js";
import { h } from "./ui.js";

// A chart per sensor over a range the operator chooses (kept in the page's URL as ?range=): each raw reading when the
// range holds at most chartedReadings, else the API's buckets, as wide as it takes to draw at most maxBuckets points.
export const chartRanges = [
  { key: "15m", seconds: 900, heading: "Last 15 minutes", choice: "15 min" },
  { key: "1h", seconds: 3600, heading: "Last hour", choice: "1 hour" },
  { key: "6h", seconds: 6 * 3600, heading: "Last 6 hours", choice: "6 hours" },
  { key: "24h", seconds: 86400, heading: "Last 24 hours", choice: "24 hours" },
  { key: "7d", seconds: 7 * 86400, heading: "Last 7 days", choice: "7 days" },
];
const defaultRange = chartRanges[1];

// Widths the API takes (BucketWidths: whole seconds, 1 s to 31 days), each named for the chart's caption.
const bucketWidths = [
  { bucket: "10s", seconds: 10, each: "10 seconds" },
  { bucket: "1m", seconds: 60, each: "minute" },
  { bucket: "5m", seconds: 300, each: "5 minutes" },
  { bucket: "15m", seconds: 900, each: "15 minutes" },
  { bucket: "1h", seconds: 3600, each: "hour" },
  { bucket: "2h", seconds: 7200, each: "2 hours" },
  { bucket: "1d", seconds: 86400, each: "day" },
];
const chartedReadings = 300;
const maxBuckets = 120;

const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 });
const timeOfDay = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });
const dayAndTime = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" });

/** The range the page's URL names, or the last hour. */
export function chosenRange() {
  const key = new URLSearchParams(window.location.search).get("range");
  return chartRanges.find((range) => range.key === key) ?? defaultRange;
}

/** Links to the page over each range, the chosen one marked current. */
export function rangeChooser(chosen) {
  return h("nav", { class: "range-chooser", "aria-label": "Chart range" },
    chartRanges.map((range) => {
      const query = new URLSearchParams(window.location.search);
      query.set("range", range.key);
      return h("a", { href: `${window.location.pathname}?${query}`, "aria-current": range === chosen ? "true" : false }, range.choice);
    }));
}

/** The charts of sensors over range, ending now, as figures. */
export async function sensorCharts(path, sensors, range) {
  const to = new Date();
  const from = new Date(to.getTime() - range.seconds * 1000);
  const charted = await Promise.all(sensors.map((sensor) => readRange(`${path}/telemetry/${encodeURIComponent(sensor)}`, range, from, to)));
  const within = range.heading.replace("Last", "the last");
  if (sensors.length === 0) return [h("p", { class: "empty" }, "No readings to chart.")];
  return sensors.map((sensor, index) => h("figure", { class: "chart-card", "data-sensor": sensor },
    h("figcaption", {}, `${sensor}: ${charted[index].caption}`),
    charted[index].points.length === 0 ? h("p", { class: "empty" }, `No readings in ${within}.`)
      : sensorChart(`${sensor} over ${within}`, charted[index].points, from, to)));
}

/** A sensor's points between from and to: raw when there are at most chartedReadings, else the API's buckets. */
async function readRange(history, range, from, to) {
  const span = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
  const raw = await api(`${history}?${span}&limit=${chartedReadings}`);
  const at = range.seconds > 86400 / 2 ? dayAndTime : timeOfDay;
  if (!raw.next_cursor) {
    return {
      caption: `${raw.readings.length} readings`,
      points: raw.readings.map((reading) => ({
        time: reading.timestamp,
        value: reading.value,
        text: `${number.format(reading.value)}${reading.unit ? ` ${reading.unit}` : ""} at ${at.format(new Date(reading.timestamp))}`,
      })),
    };
  }

  const width = bucketWidths.find((candidate) => range.seconds / candidate.seconds <= maxBuckets) ?? bucketWidths.at(-1);
  const page = await api(`${history}?${span}&bucket=${width.bucket}&limit=${Math.ceil(range.seconds / width.seconds) + 1}`);
  return {
    caption: `average of each ${width.each}, ${page.buckets.reduce((sum, bucket) => sum + bucket.count, 0)} readings`,
    points: page.buckets.map((bucket) => ({
      time: bucket.start,
      value: bucket.avg,
      text: `${number.format(bucket.avg)} on average (${number.format(bucket.min)} to ${number.format(bucket.max)}, ${bucket.count} readings) in the ${width.each} from ${at.format(new Date(bucket.start))}`,
    })),
  };
}
