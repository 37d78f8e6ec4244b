/**
 * Prices page: the prices in force and the oracle's health (GET /v1/prices/latest), and gold, CC
 * and TFT history charts (GET /v1/prices/history) over a chosen range. Needs a key of any role.
 */
import { api, clearProblem, haveKey, showProblem, withProgress } from "./api.js";
import { drawChart, palette } from "./charts.js";
import { element, number, time } from "./format.js";
import { setUpPage } from "./layout.js";

await setUpPage();

const healthPanel = document.getElementById("health-panel");
const problemRegion = document.getElementById("prices-problem");
const form = document.getElementById("history-form");
const historyPanels = document.getElementById("history-panels");

/** Range → history query: how far back and at which interval (≤ 500 points per request). */
const ranges = {
  "24h": { hours: 24, interval: "15m" },
  "7d": { hours: 24 * 7, interval: "1h" },
  "30d": { hours: 24 * 30, interval: "4h" },
  "365d": { hours: 24 * 365, interval: "1d" },
};

const series = [
  { kind: "gold", label: "Gold, USD per gram", decimals: 2, colour: palette[3] },
  { kind: "cc", label: "CC, USD", decimals: 6, colour: palette[0] },
  { kind: "tft", label: "TFT, USD", decimals: 5, colour: palette[1] },
];

function figure(label, value, detail) {
  const box = element("div", "", { class: "figure" });
  box.append(element("span", label, { class: "label" }), element("span", value, { class: "value" }));
  if (detail) box.append(element("span", detail, { class: "hint" }));
  return box;
}

function priceDetail(price) {
  if (!price) return "no accepted price";
  const minutes = Math.round(price.ageMs / 60_000);
  const parts = [`${price.health}`, `${price.source}`, `${minutes} min old`];
  if (price.marketClosed) parts.push("market closed");
  return parts.join(" · ");
}

async function loadLatest() {
  const latest = await api("/v1/prices/latest");
  const badge = document.getElementById("oracle-health");
  badge.textContent = latest.health;
  badge.className = `badge ${latest.health}`;
  document
    .getElementById("latest-figures")
    .replaceChildren(
      figure(
        "Gold (USD/g)",
        latest.gold ? number(latest.gold.priceUsd, 2, 2) : "–",
        priceDetail(latest.gold),
      ),
      figure("CC (USD)", latest.cc ? number(latest.cc.priceUsd, 6) : "–", "1 CC = 1 mg of gold"),
      figure("TFT (USD)", latest.tft ? number(latest.tft.priceUsd, 5) : "–", priceDetail(latest.tft)),
      figure("As of", time(latest.asOf)),
    );
  document.getElementById("minting-note").textContent = latest.mintingAvailable
    ? "Minting and conversions are available."
    : "The oracle is halted: minting and conversions are paused until prices are fresh again.";
}

async function loadHistory() {
  const range = ranges[form.elements.range.value] ?? ranges["7d"];
  const to = new Date();
  const from = new Date(to.getTime() - range.hours * 3_600_000);
  const histories = await Promise.all(
    series.map((entry) =>
      api(
        `/v1/prices/history?${new URLSearchParams({ kind: entry.kind, interval: range.interval, from: from.toISOString(), to: to.toISOString() })}`,
      ),
    ),
  );
  histories.forEach((history, index) => {
    const entry = series[index];
    const points = history.points.map((point) => ({ x: Date.parse(point.start), y: Number(point.close) }));
    document.getElementById(`empty-${entry.kind}`).hidden = points.length > 0;
    // A price stays in force until the next one: the line holds the last close up to now, so a
    // fresh service with one accepted round still draws a line, not a lone dot.
    const last = points.at(-1);
    const line = last && last.x < to.getTime() ? [...points, { x: to.getTime(), y: last.y }] : points;
    const ticks = alignedTicks(from.getTime(), to.getTime());
    drawChart(document.getElementById(`chart-${entry.kind}`), {
      type: "scatter",
      data: {
        datasets: [
          {
            label: entry.label,
            data: line,
            showLine: true,
            stepped: "before",
            pointRadius: (context) => (context.dataIndex >= points.length || points.length > 60 ? 0 : 3),
            borderColor: entry.colour,
            backgroundColor: entry.colour,
          },
        ],
      },
      options: {
        scales: {
          x: {
            type: "linear",
            min: from.getTime(),
            max: to.getTime(),
            // Ticks on round times (every 4 h, day, week…), not wherever the range happened to start.
            afterBuildTicks: (axis) => {
              axis.ticks = ticks.values.map((value) => ({ value }));
            },
            ticks: { autoSkip: false, maxRotation: 0, callback: (value) => ticks.label(value) },
          },
          y: { ticks: { callback: (value) => number(value, entry.decimals) } },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (item) =>
                `${time(new Date(item.parsed.x).toISOString())}: ${number(item.parsed.y, entry.decimals)} USD`,
            },
          },
        },
      },
    });
  });
}

const hourMs = 3_600_000;
/** Tick spacings from an hour to a month, and how a tick at each reads. */
const tickSteps = [
  { ms: hourMs, format: { hour: "2-digit", minute: "2-digit" } },
  { ms: 3 * hourMs, format: { hour: "2-digit", minute: "2-digit" } },
  { ms: 6 * hourMs, format: { day: "numeric", month: "short", hour: "2-digit" } },
  { ms: 12 * hourMs, format: { day: "numeric", month: "short", hour: "2-digit" } },
  { ms: 24 * hourMs, format: { day: "numeric", month: "short" } },
  { ms: 2 * 24 * hourMs, format: { day: "numeric", month: "short" } },
  { ms: 7 * 24 * hourMs, format: { day: "numeric", month: "short" } },
  { ms: 30 * 24 * hourMs, format: { month: "short", year: "numeric" } },
  { ms: 61 * 24 * hourMs, format: { month: "short", year: "numeric" } },
];
/** Most ticks on a time axis (fewer on a phone). */
function ticksMax() {
  return window.matchMedia("(max-width: 600px)").matches ? 4 : 7;
}

/**
 * Ticks at whole multiples of the smallest step (UTC) that keeps at most `ticksMax()` of them
 * between `fromMs` and `toMs`, with their labels.
 */
function alignedTicks(fromMs, toMs) {
  const step =
    tickSteps.find((candidate) => (toMs - fromMs) / candidate.ms <= ticksMax()) ?? tickSteps.at(-1);
  const values = [];
  for (let value = Math.ceil(fromMs / step.ms) * step.ms; value <= toMs; value += step.ms) values.push(value);
  return {
    values,
    label: (value) => new Date(value).toLocaleString("en-GB", { ...step.format, timeZone: "UTC" }),
  };
}

async function load() {
  clearProblem(problemRegion);
  if (!haveKey(problemRegion, "Prices")) return;
  try {
    await withProgress(healthPanel, loadLatest, "Loading prices");
    await withProgress(historyPanels, loadHistory, "Loading history");
  } catch (error) {
    showProblem(problemRegion, error);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  void load();
});
form.elements.range.addEventListener("change", () => void load());
window.addEventListener("apikeychange", () => void load());

void load();
