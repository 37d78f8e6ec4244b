/**
 * Farmer view: the farmer's nodes (GET /v1/farmers/{id}/nodes, every page), prices edited inside
 * the band (PUT /v1/nodes/{id}/price), earnings and leases (GET /v1/farmers/{id}/earnings) and
 * projected versus actual monthly income (GET /v1/nodes/{id}/projection). Needs a farmer (or
 * admin) key.
 */
import { ApiProblem, api, clearProblem, haveKey, showProblem, withProgress } from "./api.js";
import { drawChart, palette } from "./charts.js";
import { element, fillRows, number, percent } from "./format.js";
import { setUpPage } from "./layout.js";

setUpPage();

const form = document.getElementById("farmer-form");
const problemRegion = document.getElementById("farmer-problem");
const nodesPanel = document.getElementById("nodes-panel");
const pricePanel = document.getElementById("price-panel");
const priceForm = document.getElementById("price-form");
const priceProblem = document.getElementById("price-problem");
const priceSaved = document.getElementById("price-saved");
const projectionSelect = document.getElementById("projection-select");

const farmerStorageKey = "tfgrid-market.farmerId";
/** Most pages of the farmer's nodes loaded (200 nodes each). */
const nodePagesMax = 25;

/** The nodes shown, by id. */
const nodes = new Map();
let editing = null;

/** The farmer's nodes, page after page. */
async function farmerNodes(farmerId) {
  const found = [];
  let cursor = null;
  for (let page = 0; page < nodePagesMax; page++) {
    const params = new URLSearchParams({ limit: "200" });
    if (cursor) params.set("cursor", cursor);
    const result = await api(`/v1/farmers/${encodeURIComponent(farmerId)}/nodes?${params}`);
    found.push(...result.data);
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return found;
}

function priceText(node, period) {
  const value = period === "month" ? node.prices.perSliceMonth : node.prices.perSliceHour;
  const decimals = period === "month" ? 2 : 4;
  let text = `${number(value, decimals, decimals)} ${node.prices.currency}`;
  if (node.prices.inCc && node.prices.currency !== "CC") {
    const cc = period === "month" ? node.prices.inCc.perSliceMonth : node.prices.inCc.perSliceHour;
    text += ` · ${number(cc, decimals)} CC`;
  }
  return text;
}

/** A price cell: the band-currency price, and the CC price on its own line. */
function priceCell(node, period) {
  const [own, cc] = priceText(node, period).split(" · ");
  const cell = element("td", "", { class: "num" });
  cell.append(element("span", own, { class: "line" }));
  if (cc) cell.append(element("span", cc, { class: "line hint" }));
  return cell;
}

function renderNodes() {
  const list = [...nodes.values()];
  document.getElementById("nodes-empty").hidden = list.length > 0;
  fillRows(
    document.getElementById("node-rows"),
    list.map((node) => {
      const edit = element("button", "Edit prices", {
        type: "button",
        "aria-label": `Edit prices of ${node.name}`,
      });
      edit.addEventListener("click", () => openPriceForm(node.id));
      const name = element("th", "", { scope: "row" });
      name.append(element("span", node.name), element("span", node.id, { class: "hint node-id" }));
      return [
        name,
        node.state,
        element("td", `${node.freeSlices} / ${node.sliceCount}`, { class: "num" }),
        priceCell(node, "month"),
        priceCell(node, "hour"),
        element(
          "td",
          `${number(node.band.minPerSliceMonth, 2, 2)} – ${number(node.band.maxPerSliceMonth, 2, 2)} ${node.band.currency}`,
          { class: "num" },
        ),
        element("td", percent(node.reliability, 1), { class: "num" }),
        edit,
      ];
    }),
  );
  const selected = projectionSelect.value;
  projectionSelect.replaceChildren(...list.map((node) => element("option", node.name, { value: node.id })));
  if (list.some((node) => node.id === selected)) projectionSelect.value = selected;
}

function openPriceForm(nodeId) {
  const node = nodes.get(nodeId);
  if (!node) return;
  editing = nodeId;
  clearProblem(priceProblem, priceForm);
  priceSaved.textContent = "";
  document.getElementById("price-node-name").textContent = node.name;
  for (const span of pricePanel.querySelectorAll(".band-currency")) span.textContent = node.band.currency;
  priceForm.elements.pricePerSliceMonth.value = node.prices.perSliceMonth;
  priceForm.elements.pricePerSliceHour.value = node.prices.perSliceHour;
  document.getElementById("month-band").textContent =
    `Band ${number(node.band.minPerSliceMonth, 6)} – ${number(node.band.maxPerSliceMonth, 6)}`;
  document.getElementById("hour-band").textContent =
    `Band ${number(node.band.minPerSliceHour, 6)} – ${number(node.band.maxPerSliceHour, 6)}`;
  pricePanel.hidden = false;
  priceForm.elements.pricePerSliceMonth.focus();
}

async function savePrices() {
  const node = nodes.get(editing);
  if (!node) return;
  clearProblem(priceProblem, priceForm);
  priceSaved.textContent = "";
  try {
    const updated = await withProgress(
      pricePanel,
      () =>
        api(`/v1/nodes/${encodeURIComponent(node.id)}/price`, {
          method: "PUT",
          body: {
            pricePerSliceMonth: priceForm.elements.pricePerSliceMonth.value.trim(),
            pricePerSliceHour: priceForm.elements.pricePerSliceHour.value.trim(),
          },
        }),
      "Saving prices",
    );
    nodes.set(updated.id, updated);
    renderNodes();
    priceSaved.textContent = `Saved: ${priceText(updated, "month")} per slice-month, ${priceText(updated, "hour")} per slice-hour. New prices apply to new leases.`;
    void loadProjection();
  } catch (error) {
    showProblem(priceProblem, error, priceForm);
  }
}

async function loadEarnings(farmerId) {
  const earnings = await api(`/v1/farmers/${encodeURIComponent(farmerId)}/earnings`);
  const figure = (label, value) => {
    const box = element("div", "", { class: "figure" });
    box.append(
      element("span", label, { class: "label" }),
      element("span", `${number(value, 2, 2)} CC`, { class: "value" }),
    );
    return box;
  };
  document
    .getElementById("earnings-figures")
    .replaceChildren(
      figure("Your share (80 %)", earnings.total.farmer),
      figure("Charged to users", earnings.total.gross),
      figure("Burned (10 %)", earnings.total.burned),
      figure("ThreeFold (10 %)", earnings.total.threefold),
    );
  fillRows(
    document.getElementById("lease-rows"),
    earnings.leases.map((lease) => [
      element("th", lease.leaseId, { scope: "row" }),
      nodes.get(lease.nodeId)?.name ?? lease.nodeId,
      element("td", number(lease.gross, 4), { class: "num" }),
      element("td", number(lease.farmer, 4), { class: "num" }),
      element("td", String(lease.periods), { class: "num" }),
    ]),
  );
  return earnings;
}

async function loadProjection() {
  const nodeId = projectionSelect.value;
  const note = document.getElementById("projection-note");
  if (!nodeId) {
    note.textContent = "";
    return;
  }
  const projection = await api(`/v1/nodes/${encodeURIComponent(nodeId)}/projection?months=6`);
  document.getElementById("projection-node").textContent = projection.name;
  const unit = projection.peg.ccUsd === null ? projection.currency : "CC";
  const pick = (money) => Number((unit === "CC" ? money.CC : money[projection.currency]) ?? 0);
  const labels = projection.months.map((month) => month.month);
  drawChart(document.getElementById("projection-chart"), {
    type: "bar",
    data: {
      labels,
      datasets: [
        {
          type: "bar",
          label: `Actual, your share (${unit === "CC" ? "CC" : "CC, not converted"})`,
          data: projection.months.map((month) => Number(month.actual.farmerCc)),
          backgroundColor: palette[1],
        },
        {
          type: "line",
          label: `Projected at your price (${unit})`,
          data: projection.months.map((month) => pick(month.projected.listed)),
          borderColor: palette[0],
          backgroundColor: palette[0],
        },
        {
          type: "line",
          label: `Projected minimum (${unit})`,
          data: projection.months.map((month) => pick(month.projected.min)),
          borderColor: palette[2],
          backgroundColor: palette[2],
          borderDash: [6, 4],
        },
      ],
    },
    options: {
      scales: { y: { beginAtZero: true, title: { display: true, text: `${unit} per month` } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
  note.textContent =
    projection.peg.note ??
    `A full month at your price earns you ${number(projection.perMonth.listed.CC, 2, 2)} CC (${number(projection.perMonth.listed.USD, 2, 2)} USD) with every slice rented.`;
}

async function load() {
  clearProblem(problemRegion, form);
  if (!haveKey(problemRegion, "The farmer view")) return;
  const farmerId = form.elements.farmerId.value.trim();
  if (farmerId === "") {
    showProblem(
      problemRegion,
      new ApiProblem({ title: "Type your farmer id", errors: [{ field: "farmerId", detail: "required" }] }),
      form,
    );
    return;
  }
  sessionStorage.setItem(farmerStorageKey, farmerId);
  try {
    await withProgress(
      nodesPanel,
      async () => {
        await loadEarnings(farmerId);
        nodes.clear();
        for (const node of await farmerNodes(farmerId)) nodes.set(node.id, node);
        renderNodes();
      },
      "Loading your nodes",
    );
    await withProgress(document.getElementById("projection-panel"), loadProjection, "Loading projection");
  } catch (error) {
    showProblem(problemRegion, error, form);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  void load();
});
priceForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void savePrices();
});
document.getElementById("price-cancel").addEventListener("click", () => {
  pricePanel.hidden = true;
  editing = null;
});
projectionSelect.addEventListener("change", () => {
  void loadProjection().catch((error) => showProblem(problemRegion, error));
});

form.elements.farmerId.value = sessionStorage.getItem(farmerStorageKey) ?? "";
if (form.elements.farmerId.value !== "") void load();
