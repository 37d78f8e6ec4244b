/**
 * Calculator page: the catalogue presets (GET /v1/catalog/nodes) and the income calculator
 * (POST /v1/calculator/node), recomputed as the inputs change, with a chart of monthly income
 * across the price band, the hardware cost per month and the break-even price marked.
 */
import { ApiProblem, api, clearProblem, showProblem, withProgress } from "./api.js";
import { drawChart, palette } from "./charts.js";
import { element, fillRows, money, number } from "./format.js";
import { setUpPage } from "./layout.js";

setUpPage();

const form = document.getElementById("calculator-form");
const problemRegion = document.getElementById("calculator-problem");
const results = document.getElementById("results");
const presetSelect = document.getElementById("preset");
const customHardware = document.getElementById("custom-hardware");
const sliceCount = document.getElementById("sliceCount");
const sliceHint = document.getElementById("slice-hint");
const cost = document.getElementById("hardwareCostUsd");
const price = document.getElementById("price");
const priceRange = document.getElementById("price-range");
const bandHint = document.getElementById("band-hint");
const utilisation = document.getElementById("utilisation");
const utilisationValue = document.getElementById("utilisation-value");
const canvas = document.getElementById("income-chart");

/** Catalogue nodes by id. */
const presets = new Map();
/** The last band shown, as numbers: { min, max } per slice-month. */
let band = null;
let pending = null;
let timer = 0;

const customValue = "custom";
const hardwareFields = ["cores", "passmark", "memGb", "ssdGb", "aiGb", "tps"];

function requestBody() {
  const body = {};
  if (presetSelect.value === customValue) {
    const hardware = {};
    for (const name of hardwareFields) hardware[name] = form.elements[name].value.trim();
    hardware.maxSlices = Number(form.elements.maxSlices.value);
    body.hardware = hardware;
  } else {
    body.preset = presetSelect.value;
  }
  if (sliceCount.value !== "") body.sliceCount = Number(sliceCount.value);
  if (cost.value.trim() !== "") body.hardwareCostUsd = cost.value.trim();
  if (price.value.trim() !== "") body.chosenPricePerSliceMonth = price.value.trim();
  body.utilisation = String(Number(utilisation.value) / 100);
  return body;
}

/** Sets the inputs to a preset's typical slice count and cost. */
function applyPreset() {
  const node = presets.get(presetSelect.value);
  customHardware.hidden = presetSelect.value !== customValue;
  price.value = "";
  if (node) {
    sliceCount.value = String(node.typicalSlices);
    sliceCount.max = String(node.maxSlices);
    cost.value = node.hardwareCostUsd;
    sliceHint.textContent = `Typical ${node.typicalSlices}, at most ${node.maxSlices}`;
  } else {
    sliceCount.max = form.elements.maxSlices.value;
    sliceHint.textContent = `At most the node's maximum (${form.elements.maxSlices.value})`;
    if (sliceCount.value === "") sliceCount.value = "7";
    if (cost.value === "") cost.value = "500";
  }
}

/** A price inside the band, to 2 decimals (rounded inward at the ends). */
function clampToBand(value) {
  if (!band) return value;
  const low = Math.ceil(band.min * 100) / 100;
  const high = Math.floor(band.max * 100) / 100;
  return Math.min(Math.max(value, low), high);
}

function priceFromRange() {
  if (!band) return;
  const value = band.min + Number(priceRange.value) * (band.max - band.min);
  price.value = clampToBand(Math.round(value * 100) / 100).toFixed(2);
}

function rangeFromPrice() {
  if (!band || band.max === band.min) return;
  const fraction = (Number(price.value) - band.min) / (band.max - band.min);
  if (Number.isFinite(fraction)) priceRange.value = String(Math.min(Math.max(fraction, 0), 1));
}

/** Calculations scheduled or running; `data-state` on the results says "updating" or "idle". */
let timerArmed = false;
let inFlight = 0;

function showState() {
  results.dataset.state = timerArmed || inFlight > 0 ? "updating" : "idle";
}

function schedule(delayMs = 250) {
  clearTimeout(timer);
  timerArmed = true;
  showState();
  timer = setTimeout(() => {
    timerArmed = false;
    void calculate();
  }, delayMs);
}

async function calculate() {
  pending?.abort();
  const controller = new AbortController();
  pending = controller;
  inFlight += 1;
  showState();
  try {
    const result = await withProgress(
      results,
      () =>
        api("/v1/calculator/node", {
          method: "POST",
          body: requestBody(),
          auth: false,
          signal: controller.signal,
        }),
      "Calculating",
    );
    if (controller.signal.aborted) return;
    clearProblem(problemRegion, form);
    band = { min: Number(result.band.minPerSliceMonth.USD), max: Number(result.band.maxPerSliceMonth.USD) };
    bandHint.textContent = `Band ${number(result.band.minPerSliceMonth.USD, 4)} – ${number(result.band.maxPerSliceMonth.USD, 4)} USD per slice-month`;
    const current = Number(price.value);
    if (
      price.value.trim() === "" ||
      (Number.isFinite(current) && (current < band.min || current > band.max))
    ) {
      // A new node or slice count moved the band: keep the slider's place inside the new one.
      priceFromRange();
      schedule(0);
    } else {
      rangeFromPrice();
    }
    render(result);
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") return;
    if (controller.signal.aborted) return;
    showProblem(
      problemRegion,
      error instanceof ApiProblem ? error : new ApiProblem({ title: String(error) }),
      form,
    );
  } finally {
    inFlight -= 1;
    showState();
  }
}

function months(value) {
  return value === null ? "never" : `${number(value, 1)} months`;
}

function render(result) {
  const { income, hardware, peg } = result;
  const chosen = income.chosen;
  document.getElementById("min-income").textContent = money(income.min.grossPerMonth);
  document.getElementById("max-income").textContent = money(income.max.grossPerMonth);
  document.getElementById("chosen-income").textContent = chosen ? money(chosen.grossPerMonth) : "–";
  document.getElementById("chosen-farmer").textContent = chosen ? money(chosen.farmerPerMonth) : "–";
  document.getElementById("hardware-month").textContent = money(hardware.costPerMonth);
  document.getElementById("chosen-break-even").textContent = chosen
    ? months(chosen.farmerBreakEvenMonths)
    : "–";

  const note = document.getElementById("peg-note");
  note.hidden = peg.note === null;
  note.textContent = peg.note ?? "";

  const scenarioRow = (name, scenario) => [
    element("th", name, { scope: "row" }),
    element("td", money(scenario.pricePerSliceMonth, 4), { class: "num" }),
    element("td", money(scenario.grossPerMonth), { class: "num" }),
    element("td", money(scenario.farmerPerMonth), { class: "num" }),
    element("td", months(scenario.breakEvenMonths), { class: "num" }),
    element("td", months(scenario.farmerBreakEvenMonths), { class: "num" }),
  ];
  fillRows(document.getElementById("scenario-rows"), [
    scenarioRow("Lowest expected", income.min),
    scenarioRow("Highest expected", income.max),
    ...(chosen
      ? [scenarioRow(`Your price at ${number(Number(chosen.utilisation) * 100, 0)} %`, chosen)]
      : []),
  ]);

  const slice = result.slice;
  const row = (label, value) => [
    element("th", label, { scope: "row" }),
    element("td", value, { class: "num" }),
  ];
  fillRows(document.getElementById("slice-rows"), [
    row("Slices", `${result.sliceCount} of at most ${result.node.maxSlices}`),
    row("CPU cores", number(slice.cores, 2)),
    row("Passmark", number(slice.passmark, 0)),
    row("RAM", `${number(slice.memGb, 2)} GB`),
    row("SSD", `${number(slice.ssdGb, 0)} GB`),
    row("AI/GPU memory", `${number(slice.aiGb, 2)} GB`),
    row("Tokens per second", number(slice.tps, 2)),
    row(
      "Band per month",
      `${money(result.band.minPerSliceMonth, 4)} – ${money(result.band.maxPerSliceMonth, 4)}`,
    ),
    row(
      "Band per hour",
      `${money(result.band.minPerSliceHour, 4)} – ${money(result.band.maxPerSliceHour, 4)}`,
    ),
    row("CC price (USD)", peg.ccUsd === null ? "unavailable" : number(peg.ccUsd, 6)),
  ]);
  drawIncomeChart(result);
}

function drawIncomeChart(result) {
  const points = result.curve.map((point) => ({
    x: Number(point.pricePerSliceMonth),
    y: Number(point.grossPerMonth),
  }));
  const farmer = result.curve.map((point) => ({
    x: Number(point.pricePerSliceMonth),
    y: Number(point.farmerPerMonth),
  }));
  const low = points[0]?.x ?? 0;
  const high = points.at(-1)?.x ?? 0;
  const hardwareMonth = Number(result.hardware.costPerMonth.USD);
  const top =
    Math.max(points.at(-1)?.y ?? 0, Number(result.income.max.grossPerMonth.USD), hardwareMonth) * 1.05;
  const datasets = [
    { label: "Gross income / month", data: points, borderColor: palette[0], backgroundColor: palette[0] },
    { label: "Your 80 % share / month", data: farmer, borderColor: palette[1], backgroundColor: palette[1] },
    {
      label: "Hardware cost / month",
      data: [
        { x: low, y: hardwareMonth },
        { x: high, y: hardwareMonth },
      ],
      borderColor: palette[2],
      backgroundColor: palette[2],
      borderDash: [6, 4],
    },
    {
      // Each end of the expected range sits at the price it assumes (the band's lowest and
      // highest), not at the chart's edges, so it reads against the income line above that price.
      label: "Expected range: lowest and highest",
      data: [
        {
          x: Number(result.band.minPerSliceMonth?.USD ?? low),
          y: Number(result.income.min.grossPerMonth.USD),
        },
        {
          x: Number(result.band.maxPerSliceMonth?.USD ?? high),
          y: Number(result.income.max.grossPerMonth.USD),
        },
      ],
      showLine: false,
      pointStyle: "triangle",
      pointRadius: 7,
      borderColor: palette[4],
      backgroundColor: palette[4],
    },
  ];
  const payback = result.paybackPricePerSliceMonth.farmer;
  if (payback !== null && payback.USD !== null) {
    const x = Number(payback.USD);
    datasets.push({
      label: `Break-even price (60 months): ${number(x, 2)} USD`,
      data: [
        { x, y: 0 },
        { x, y: top },
      ],
      borderColor: palette[3],
      backgroundColor: palette[3],
      borderDash: [2, 3],
      pointRadius: 0,
    });
  }
  const chosen = result.income.chosen;
  if (chosen?.pricePerSliceMonth) {
    datasets.push({
      label: "Your price",
      data: [{ x: Number(chosen.pricePerSliceMonth.USD), y: Number(chosen.grossPerMonth.USD) }],
      showLine: false,
      pointRadius: 8,
      borderColor: palette[5],
      backgroundColor: palette[5],
    });
  }
  drawChart(canvas, {
    type: "scatter",
    data: { datasets: datasets.map((dataset) => ({ showLine: true, pointRadius: 0, ...dataset })) },
    options: {
      scales: {
        x: { type: "linear", title: { display: true, text: "Price per slice-month (USD)" } },
        y: { beginAtZero: true, suggestedMax: top, title: { display: true, text: "USD per month" } },
      },
      plugins: { legend: { position: "bottom" } },
    },
  });
}

async function loadCatalogue() {
  results.dataset.state = "updating";
  try {
    const catalogue = await withProgress(results, () => api("/v1/catalog/nodes", { auth: false }), "Loading");
    const groups = new Map();
    for (const node of catalogue.nodes) {
      presets.set(node.id, node);
      if (!groups.has(node.group)) {
        const group = document.createElement("optgroup");
        group.label = node.group;
        groups.set(node.group, group);
      }
      const option = element("option", `${node.name} (${number(node.hardwareCostUsd, 0)} USD)`, {
        value: node.id,
      });
      groups.get(node.group).append(option);
    }
    const custom = element("option", "Custom hardware…", { value: customValue });
    presetSelect.replaceChildren(...groups.values(), custom);
    presetSelect.value = catalogue.nodes[0]?.id ?? customValue;
    applyPreset();
    await calculate();
  } catch (error) {
    showProblem(problemRegion, error);
  }
}

presetSelect.addEventListener("change", () => {
  applyPreset();
  schedule(0);
});
priceRange.addEventListener("input", () => {
  priceFromRange();
  schedule();
});
utilisation.addEventListener("input", () => {
  utilisationValue.textContent = `${utilisation.value} %`;
  schedule();
});
form.addEventListener("input", (event) => {
  if (event.target === priceRange || event.target === utilisation || event.target === presetSelect) return;
  if (event.target === form.elements.maxSlices) sliceCount.max = form.elements.maxSlices.value;
  schedule();
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  schedule(0);
});

void loadCatalogue();
