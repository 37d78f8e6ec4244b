/**
 * Farmer view, for the farmer the key belongs to (GET /v1/me; an admin types a farmer id): the
 * nodes (GET /v1/farmers/{id}/nodes) with prices edited inside the band (PUT /v1/nodes/{id}/price),
 * last heartbeat and reliability; each node's leases (GET /v1/leases?nodeId=); the open bids on
 * the nodes to accept or reject; open capacity requests to offer on; bid packages to commit to;
 * registering a node from a catalogue preset or custom hardware with its band shown first (POST
 * /v1/calculator/node, then POST /v1/nodes); earnings per node and lease with the 80/10/10 split
 * and projected versus actual monthly income.
 */
import { ApiProblem, api, clearProblem, onSubmit, showProblem, submit, withProgress } from "./api.js";
import { drawChart, palette } from "./charts.js";
import { cc, element, fillRows, number, percent, precise, time } from "./format.js";
import { setUpPage } from "./layout.js";

let me = await setUpPage();

const form = document.getElementById("farmer-form");
const problemRegion = document.getElementById("farmer-problem");
const nodesPanel = document.getElementById("nodes-panel");
const pricePanel = document.getElementById("price-panel");
const priceForm = document.getElementById("price-form");
const priceSaved = document.getElementById("price-saved");
const projectionSelect = document.getElementById("projection-select");
const registerForm = document.getElementById("register-form");

const farmerStorageKey = "tfgrid-market.farmerId";
/** Most pages of the farmer's nodes loaded (200 nodes each). */
const nodePagesMax = 25;
const customValue = "custom";

/** The nodes shown, by id. */
const nodes = new Map();
let editing = null;
let farmerId = null;
let presets = new Map();

/** The farmer's nodes, page after page. */
async function farmerNodes(id) {
  const found = [];
  let cursor = null;
  for (let page = 0; page < nodePagesMax; page++) {
    const params = new URLSearchParams({ limit: "200" });
    if (cursor) params.set("cursor", cursor);
    const result = await api(`/v1/farmers/${encodeURIComponent(id)}/nodes?${params}`);
    found.push(...result.data);
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return found;
}

function priceText(node, period) {
  const value = period === "month" ? node.prices.perSliceMonth : node.prices.perSliceHour;
  const decimals = period === "month" ? 2 : 4;
  let text = `${precise(value, decimals)} ${node.prices.currency}`;
  if (node.prices.inCc && node.prices.currency !== "CC") {
    const inCc = period === "month" ? node.prices.inCc.perSliceMonth : node.prices.inCc.perSliceHour;
    text += ` · ${precise(inCc, decimals)} CC`;
  }
  return text;
}

/** A price cell: the band-currency price, and the CC price on its own line. */
function priceCell(node, period) {
  const [own, inCc] = priceText(node, period).split(" · ");
  const cell = element("td", "", { class: "num" });
  cell.append(element("span", own, { class: "line" }));
  if (inCc) cell.append(element("span", inCc, { class: "line hint" }));
  return cell;
}

function nodeOptions(select) {
  const chosen = select.value;
  select.replaceChildren(
    ...[...nodes.values()].map((node) =>
      element("option", `${node.name} (${node.freeSlices} free)`, { value: node.id }),
    ),
  );
  if (nodes.has(chosen)) select.value = chosen;
}

function renderNodes() {
  const list = [...nodes.values()];
  document.getElementById("nodes-empty").hidden = list.length > 0;
  fillRows(
    document.getElementById("node-rows"),
    list.map((node) => {
      const actions = element("div", "", { class: "actions" });
      const edit = element("button", "Edit prices", {
        type: "button",
        "aria-label": `Edit prices of ${node.name}`,
      });
      edit.addEventListener("click", () => openPriceForm(node.id));
      const leases = element("button", "Leases", { type: "button", "aria-label": `Leases on ${node.name}` });
      leases.addEventListener("click", () => void showNodeLeases(node.id));
      actions.append(edit, leases);
      const name = element("th", "", { scope: "row" });
      name.append(element("span", node.name), element("span", node.id, { class: "hint node-id id" }));
      const heartbeat = node.lastHeartbeatAt ? time(node.lastHeartbeatAt) : "never";
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
        element("td", heartbeat, { class: "heartbeat" }),
        actions,
      ];
    }),
  );
  const selected = projectionSelect.value;
  projectionSelect.replaceChildren(...list.map((node) => element("option", node.name, { value: node.id })));
  if (list.some((node) => node.id === selected)) projectionSelect.value = selected;
  for (const select of document.querySelectorAll("select.node-choice")) nodeOptions(select);
}

function openPriceForm(nodeId) {
  const node = nodes.get(nodeId);
  if (!node) return;
  editing = nodeId;
  clearProblem(document.getElementById("price-problem"), priceForm);
  priceSaved.textContent = "";
  document.getElementById("price-node-name").textContent = node.name;
  for (const span of pricePanel.querySelectorAll(".band-currency")) span.textContent = node.band.currency;
  priceForm.elements.pricePerSliceMonth.value = node.prices.perSliceMonth;
  priceForm.elements.pricePerSliceHour.value = node.prices.perSliceHour;
  document.getElementById("month-band").textContent =
    `Band ${precise(node.band.minPerSliceMonth)} – ${precise(node.band.maxPerSliceMonth)} ${node.band.currency}`;
  document.getElementById("hour-band").textContent =
    `Band ${precise(node.band.minPerSliceHour, 4)} – ${precise(node.band.maxPerSliceHour, 4)} ${node.band.currency}`;
  pricePanel.hidden = false;
  priceForm.elements.pricePerSliceMonth.focus();
}

onSubmit(priceForm, document.getElementById("price-problem"), async () => {
  const node = nodes.get(editing);
  if (!node) return;
  priceSaved.textContent = "";
  const updated = await api(`/v1/nodes/${encodeURIComponent(node.id)}/price`, {
    method: "PUT",
    body: {
      pricePerSliceMonth: priceForm.elements.pricePerSliceMonth.value.trim(),
      pricePerSliceHour: priceForm.elements.pricePerSliceHour.value.trim(),
    },
  });
  nodes.set(updated.id, updated);
  renderNodes();
  priceSaved.textContent = `Saved: ${priceText(updated, "month")} per slice-month, ${priceText(updated, "hour")} per slice-hour. New prices apply to new leases.`;
  void loadProjection();
});

async function showNodeLeases(nodeId) {
  const node = nodes.get(nodeId);
  const panel = document.getElementById("node-leases-panel");
  document.getElementById("node-leases-name").textContent = node?.name ?? nodeId;
  panel.hidden = false;
  try {
    const leases = await withProgress(panel, () =>
      api(`/v1/leases?nodeId=${encodeURIComponent(nodeId)}&limit=100`),
    );
    document.getElementById("node-leases-empty").hidden = leases.data.length > 0;
    fillRows(
      document.getElementById("node-lease-rows"),
      leases.data.map((lease) => [
        element("th", lease.id, { scope: "row", class: "id" }),
        lease.ownerId,
        `${lease.kind} (${lease.source.replaceAll("_", " ")})`,
        element("td", String(lease.slices), { class: "num" }),
        element("td", precise(lease.priceCcPerSliceHour, 4), { class: "num" }),
        lease.pausedReason ? `${lease.status} (${lease.pausedReason.replaceAll("_", " ")})` : lease.status,
        element("td", cc(lease.charged), { class: "num" }),
        time(lease.startedAt),
      ]),
    );
    panel.scrollIntoView({ block: "nearest" });
  } catch (error) {
    showProblem(problemRegion, error);
  }
}

async function loadInbox() {
  const inbox = document.getElementById("inbox-problem");
  const open = [];
  const id = farmerId;
  for (const node of nodes.values()) {
    // Signed out or switched farmer meanwhile: the rest is no longer the page's to ask.
    if (farmerId !== id) return;
    const bids = await api(`/v1/nodes/${encodeURIComponent(node.id)}/bids`);
    open.push(...bids.data.filter((bid) => bid.status === "open"));
  }
  document.getElementById("inbox-empty").hidden = open.length > 0;
  fillRows(
    document.getElementById("inbox-rows"),
    open.map((bid) => {
      const actions = element("div", "", { class: "actions" });
      for (const [verb, label] of [
        ["accept", "Accept"],
        ["reject", "Reject"],
      ]) {
        const button = element("button", label, { type: "button", "aria-label": `${label} ${bid.id}` });
        button.addEventListener("click", async () => {
          clearProblem(inbox);
          try {
            await api(
              `/v1/nodes/${encodeURIComponent(bid.nodeId)}/bids/${encodeURIComponent(bid.id)}/${verb}`,
              {
                method: "POST",
              },
            );
            await reloadNodes();
            await loadInbox();
          } catch (error) {
            showProblem(inbox, error);
          }
        });
        actions.append(button);
      }
      return [
        element("th", bid.id, { scope: "row", class: "id" }),
        nodes.get(bid.nodeId)?.name ?? bid.nodeId,
        bid.ownerId,
        element("td", String(bid.slices), { class: "num" }),
        element("td", precise(bid.priceCcPerSliceHour, 4), { class: "num" }),
        time(bid.expiresAt),
        actions,
      ];
    }),
  );
}

/** A small inline form of `fields` with a node choice, submitted through `onSubmit`. */
function inlineForm(id, fields, buttonLabel, task) {
  const formElement = element("form", "", { class: "stack", id, novalidate: "" });
  const row = element("div", "", { class: "row" });
  const nodeField = element("div", "", { class: "field" });
  nodeField.append(element("label", "Node", { for: `${id}-node` }));
  const select = element("select", "", {
    id: `${id}-node`,
    name: "nodeId",
    "data-field": "nodeId",
    class: "node-choice",
  });
  nodeField.append(select);
  row.append(nodeField);
  for (const field of fields) {
    const box = element("div", "", { class: "field" });
    box.append(
      element("label", field.label, { for: `${id}-${field.name}` }),
      element("input", "", {
        id: `${id}-${field.name}`,
        name: field.name,
        "data-field": field.name,
        value: field.value,
        inputmode: "decimal",
      }),
    );
    row.append(box);
  }
  const problem = element("div", "", { class: "problem", role: "alert" });
  problem.hidden = true;
  const done = element("p", "", { class: "success", role: "status" });
  formElement.append(row, element("button", buttonLabel, { type: "submit" }));
  nodeOptions(select);
  onSubmit(formElement, problem, async () => {
    done.textContent = await task(formElement);
  });
  const box = element("div", "");
  box.append(formElement, problem, done);
  return box;
}

function requirementsText(requirements) {
  const parts = [];
  if (requirements.minMemGb) parts.push(`≥ ${requirements.minMemGb} GB RAM`);
  if (requirements.minCores) parts.push(`≥ ${requirements.minCores} cores`);
  if (requirements.minSsdGb) parts.push(`≥ ${requirements.minSsdGb} GB SSD`);
  if (requirements.gpuRequired) parts.push("GPU");
  if (requirements.certifiedRequired) parts.push("certified");
  if (requirements.region) parts.push(`in ${requirements.region}`);
  return parts.length > 0 ? parts.join(", ") : "any node";
}

async function loadRequests() {
  const list = document.getElementById("request-list");
  const requests = await api("/v1/capacity-requests?status=open&limit=50");
  list.replaceChildren(
    ...requests.data.map((request) => {
      const card = element("article", "", { class: "figure request", "data-request": request.id });
      const head = element("p", "");
      head.append(
        element("strong", request.id, { class: "id" }),
        ` · ${request.slices} slice${request.slices === 1 ? "" : "s"} for ${request.durationHours} h · ${requirementsText(request.requirements)} · at most ${precise(request.maxPriceCcPerSliceHour, 4)} CC per slice-hour · offers until ${time(request.deadline)} · ${request.offers.length} offer${request.offers.length === 1 ? "" : "s"}`,
      );
      card.append(
        head,
        inlineForm(
          `offer-${request.id}`,
          [
            {
              name: "priceCcPerSliceHour",
              label: "Your price (CC per slice-hour)",
              value: request.maxPriceCcPerSliceHour,
            },
          ],
          "Offer",
          async (offerForm) => {
            const offer = await api(`/v1/capacity-requests/${encodeURIComponent(request.id)}/offers`, {
              method: "POST",
              body: {
                nodeId: offerForm.elements.nodeId.value,
                priceCcPerSliceHour: offerForm.elements.priceCcPerSliceHour.value.trim(),
              },
            });
            return `Offered ${offer.nodeId} at ${precise(offer.priceCcPerSliceHour, 4)} CC per slice-hour (${offer.status}).`;
          },
        ),
      );
      return card;
    }),
  );
  if (requests.data.length === 0) list.append(element("p", "No open capacity requests.", { class: "hint" }));
}

async function loadPackages() {
  const list = document.getElementById("package-list");
  const packages = await api("/v1/bid-packages", { auth: false });
  list.replaceChildren(
    ...packages.data
      .filter((bidPackage) => bidPackage.active)
      .map((bidPackage) => {
        const card = element("article", "", { class: "figure package", "data-package": bidPackage.id });
        const head = element("p", "");
        head.append(
          element("strong", bidPackage.name),
          ` · ${precise(bidPackage.priceCcPerSliceMonth)} CC per slice-month · ${bidPackage.leaseHours} h term · ${requirementsText(bidPackage.requirements)} · ${bidPackage.slicesFilled} of ${bidPackage.slicesCommitted} slices filled`,
        );
        card.append(
          head,
          inlineForm(
            `package-${bidPackage.id}`,
            [{ name: "slices", label: "Slices", value: "1" }],
            "Commit",
            async (commitForm) => {
              const commitment = await api(
                `/v1/bid-packages/${encodeURIComponent(bidPackage.id)}/commitments`,
                {
                  method: "POST",
                  body: {
                    nodeId: commitForm.elements.nodeId.value,
                    slices: Number(commitForm.elements.slices.value),
                  },
                },
              );
              void reloadNodes();
              return `Committed: lease ${commitment.lease.id} of ${commitment.lease.slices} slice${commitment.lease.slices === 1 ? "" : "s"}.`;
            },
          ),
        );
        return card;
      }),
  );
  if (list.childElementCount === 0) list.append(element("p", "No active bid packages.", { class: "hint" }));
}

function splitCells(part) {
  return [
    element("td", cc(part.gross), { class: "num" }),
    element("td", cc(part.farmer), { class: "num" }),
    element("td", cc(part.burned), { class: "num" }),
    element("td", cc(part.threefold), { class: "num" }),
  ];
}

async function loadEarnings(id) {
  const earnings = await api(`/v1/farmers/${encodeURIComponent(id)}/earnings`);
  const figure = (label, value) => {
    const box = element("div", "", { class: "figure" });
    box.append(element("span", label, { class: "label" }), element("span", cc(value), { class: "value" }));
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
    document.getElementById("node-earning-rows"),
    earnings.nodes.map((part) => [
      element("th", nodes.get(part.nodeId)?.name ?? part.nodeId, { scope: "row" }),
      ...splitCells(part),
    ]),
  );
  fillRows(
    document.getElementById("lease-rows"),
    earnings.leases.map((lease) => [
      element("th", lease.leaseId, { scope: "row", class: "id" }),
      nodes.get(lease.nodeId)?.name ?? lease.nodeId,
      ...splitCells(lease),
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
          label: "Actual: your share paid",
          data: projection.months.map((month) => Number(month.actual.farmerCc)),
          backgroundColor: palette[1],
        },
        {
          type: "line",
          label: "Projected at your price, all slices rented",
          data: projection.months.map((month) => pick(month.projected.listed)),
          borderColor: palette[0],
          backgroundColor: palette[0],
        },
        {
          type: "line",
          label: "Projected, lowest expected",
          data: projection.months.map((month) => pick(month.projected.min)),
          borderColor: palette[2],
          backgroundColor: palette[2],
          borderDash: [6, 4],
        },
      ],
    },
    options: {
      scales: { y: { beginAtZero: true, title: { display: true, text: `Your 80 % share (${unit})` } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
  const last = projection.months.at(-1);
  note.textContent = `Per calendar month: bars are what the ledger paid you; lines are the projection for the hours the node existed in that month (so a month the node joined late, and this month so far${
    last ? ` — ${number(last.hours, 1)} h of ${last.month}` : ""
  }, show a part of a month). A whole month (720 h) at your price with every slice rented earns you ${cc(projection.perMonth.listed.CC)}${
    projection.perMonth.listed.USD ? ` (${precise(projection.perMonth.listed.USD)} USD)` : ""
  }.${projection.peg.note ? ` ${projection.peg.note}` : ""}`;
}

/** Reads the nodes again (free slices after a decision) without redrawing the other panels. */
async function reloadNodes(id = farmerId) {
  const found = await farmerNodes(id);
  // Signed out or switched farmer meanwhile: this answer is no longer the page's.
  if (farmerId !== id) return;
  nodes.clear();
  for (const node of found) nodes.set(node.id, node);
  renderNodes();
}

/** Loads every panel for the farmer shown now; stops when the farmer changes (sign-out) meanwhile. */
async function loadAll() {
  clearProblem(problemRegion, form);
  const id = farmerId;
  if (!id) return;
  document.getElementById("farmer-name").textContent = `of ${id}`;
  try {
    await withProgress(
      nodesPanel,
      async () => {
        await reloadNodes(id);
        if (farmerId === id) await loadEarnings(id);
      },
      "Loading your nodes",
    );
    if (farmerId !== id) return;
    const outcomes = await Promise.allSettled([
      loadInbox(),
      loadRequests(),
      loadPackages(),
      withProgress(document.getElementById("projection-panel"), loadProjection, "Loading projection"),
    ]);
    const failed = outcomes.find((outcome) => outcome.status === "rejected");
    if (failed && farmerId === id) showProblem(problemRegion, failed.reason);
  } catch (error) {
    if (farmerId === id) showProblem(problemRegion, error, form);
  }
}

/* Registering: the band comes from the calculator for the chosen hardware before submitting. */
const presetSelect = registerForm.elements.catalogueId;
const bandLine = document.getElementById("register-band");
let bandTimer = null;

function calculatorBody() {
  const value = (name) => registerForm.elements[name].value.trim();
  const slices = Number(value("sliceCount"));
  const sliceCount = Number.isInteger(slices) && slices > 0 ? { sliceCount: slices } : {};
  if (presetSelect.value !== customValue) return { preset: presetSelect.value, ...sliceCount };
  return {
    hardware: {
      cores: value("cores"),
      passmark: value("passmark"),
      memGb: value("memGb"),
      ssdGb: value("ssdGb"),
      maxSlices: Number(value("maxSlices")),
    },
    hardwareCostUsd: value("hardwareCostUsd"),
    ...sliceCount,
  };
}

async function showBand(fillPrices) {
  const registerProblem = document.getElementById("register-problem");
  try {
    const result = await api("/v1/calculator/node", { method: "POST", body: calculatorBody(), auth: false });
    clearProblem(registerProblem, registerForm);
    const band = result.band;
    bandLine.textContent = `Band for this node: ${precise(band.minPerSliceMonth.USD)} – ${precise(band.maxPerSliceMonth.USD)} USD per slice-month, ${precise(band.minPerSliceHour.USD, 4)} – ${precise(band.maxPerSliceHour.USD, 4)} USD per slice-hour; ${result.sliceCount} slices. Prices outside it are refused.`;
    bandLine.dataset.minMonth = band.minPerSliceMonth.USD;
    if (fillPrices) {
      registerForm.elements.sliceCount.value = String(result.sliceCount);
      registerForm.elements.pricePerSliceMonth.value = band.minPerSliceMonth.USD;
      registerForm.elements.pricePerSliceHour.value = band.minPerSliceHour.USD;
    }
  } catch (error) {
    bandLine.textContent = "";
    showProblem(registerProblem, error, registerForm);
  }
}

function scheduleBand(fillPrices = false) {
  clearTimeout(bandTimer);
  bandTimer = setTimeout(() => void showBand(fillPrices), 250);
}

async function loadPresets() {
  const catalogue = await api("/v1/catalog/nodes", { auth: false });
  presets = new Map(catalogue.nodes.map((node) => [node.id, node]));
  presetSelect.replaceChildren(
    ...catalogue.nodes.map((node) => element("option", `${node.name} (${node.group})`, { value: node.id })),
    element("option", "Custom hardware…", { value: customValue }),
  );
  applyPreset();
}

function applyPreset() {
  const custom = presetSelect.value === customValue;
  document.getElementById("register-custom").hidden = !custom;
  const preset = presets.get(presetSelect.value);
  registerForm.elements.sliceCount.value = preset ? String(preset.typicalSlices) : "";
  scheduleBand(true);
}

presetSelect.addEventListener("change", applyPreset);
registerForm.addEventListener("input", (event) => {
  if (event.target === presetSelect) return;
  if (["pricePerSliceMonth", "pricePerSliceHour", "name", "region"].includes(event.target.name)) return;
  scheduleBand(false);
});

onSubmit(registerForm, document.getElementById("register-problem"), async () => {
  const value = (name) => registerForm.elements[name].value.trim();
  const custom = presetSelect.value === customValue;
  const body = {
    name: value("name"),
    region: value("region"),
    sliceCount: Number(value("sliceCount")),
    pricePerSliceMonth: value("pricePerSliceMonth"),
    pricePerSliceHour: value("pricePerSliceHour"),
    ...(custom
      ? {
          hardware: {
            cores: value("cores"),
            passmark: value("passmark"),
            memGb: value("memGb"),
            ssdGb: value("ssdGb"),
            maxSlices: Number(value("maxSlices")),
          },
          hardwareCostUsd: value("hardwareCostUsd"),
        }
      : { catalogueId: presetSelect.value }),
    ...(me?.role === "admin" ? { farmerId } : {}),
  };
  const node = await api("/v1/nodes", { method: "POST", body });
  document.getElementById("register-done").textContent =
    `Registered ${node.name} as ${node.id}: ${node.sliceCount} slices, ${node.state}.`;
  await loadAll();
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const typed = form.elements.farmerId.value.trim();
  if (typed === "") {
    showProblem(
      problemRegion,
      new ApiProblem({ title: "Type a farmer id", errors: [{ field: "farmerId", detail: "required" }] }),
      form,
    );
    return;
  }
  farmerId = typed;
  sessionStorage.setItem(farmerStorageKey, farmerId);
  void loadAll();
});
document.getElementById("price-cancel").addEventListener("click", () => {
  pricePanel.hidden = true;
  editing = null;
});
projectionSelect.addEventListener("change", () => {
  void loadProjection().catch((error) => showProblem(problemRegion, error));
});

function start() {
  form.hidden = me?.role !== "admin";
  if (!me) {
    farmerId = null;
    showProblem(
      problemRegion,
      new ApiProblem({ title: "The farmer view needs a farmer key: sign in with one in the header." }),
    );
    return;
  }
  if (me.role !== "farmer" && me.role !== "admin") {
    farmerId = null;
    showProblem(
      problemRegion,
      new ApiProblem({
        title: `The farmer view is for farmer keys: this key is ${me.ownerId}'s, a ${me.role} key.`,
      }),
    );
    return;
  }
  if (me.role === "admin") {
    form.elements.farmerId.value = sessionStorage.getItem(farmerStorageKey) ?? "";
    farmerId = form.elements.farmerId.value || null;
  } else {
    farmerId = me.ownerId;
  }
  void loadAll();
}

window.addEventListener("apikeychange", (event) => {
  me = event.detail ?? null;
  start();
});

void submit(registerForm, document.getElementById("register-problem"), loadPresets);
start();
