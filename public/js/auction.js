/**
 * Auction page: a what-if form behind POST /v1/auctions/simulate, and the rounds of
 * GET /v1/auctions. Either result is drawn as its supply curve (cumulative TFP offered at each
 * price or lower) with the cap, the clearing price and the price ceiling marked.
 */
import { api, clearProblem, haveKey, showProblem, withProgress } from "./api.js";
import { drawChart, palette } from "./charts.js";
import { element, fillRows, number, precise, time } from "./format.js";
import { setUpPage } from "./layout.js";

await setUpPage();

const form = document.getElementById("simulate-form");
const bidRows = document.getElementById("bid-rows");
const simulateProblem = document.getElementById("simulate-problem");
const resultPanel = document.getElementById("auction-result");
const roundsPanel = document.getElementById("rounds-panel");
const roundsProblem = document.getElementById("rounds-problem");

/** Bids per simulation the form offers (the API takes up to 1,000). */
const bidRowsMax = 50;
const exampleBids = [
  ["10000", "0.030"],
  ["8000", "0.034"],
  ["12000", "0.036"],
  ["6000", "0.039"],
  ["9000", "0.045"],
];

function addBidRow(amount = "", minPrice = "") {
  if (bidRows.children.length >= bidRowsMax) return;
  const index = bidRows.children.length;
  const row = document.createElement("tr");
  const number = element("th", String(index + 1), { scope: "row" });
  const amountInput = element("input", "", {
    name: "amount",
    inputmode: "decimal",
    "aria-label": `Bid ${index + 1} amount in TFP`,
    "data-field": `bids.${index}.amount`,
  });
  amountInput.value = amount;
  const priceInput = element("input", "", {
    name: "minPrice",
    inputmode: "decimal",
    "aria-label": `Bid ${index + 1} minimum price in USDC per TFP`,
    "data-field": `bids.${index}.minPrice`,
  });
  priceInput.value = minPrice;
  const remove = element("button", "×", { type: "button", "aria-label": `Remove bid ${index + 1}` });
  remove.addEventListener("click", () => {
    row.remove();
    renumber();
  });
  const cell = (node) => {
    const td = document.createElement("td");
    td.append(node);
    return td;
  };
  row.append(number, cell(amountInput), cell(priceInput), cell(remove));
  bidRows.append(row);
}

function renumber() {
  [...bidRows.children].forEach((row, index) => {
    row.querySelector("th").textContent = String(index + 1);
    row.querySelector("input[name=amount]").setAttribute("aria-label", `Bid ${index + 1} amount in TFP`);
    row.querySelector("input[name=amount]").dataset.field = `bids.${index}.amount`;
    row
      .querySelector("input[name=minPrice]")
      .setAttribute("aria-label", `Bid ${index + 1} minimum price in USDC per TFP`);
    row.querySelector("input[name=minPrice]").dataset.field = `bids.${index}.minPrice`;
    row.querySelector("button").setAttribute("aria-label", `Remove bid ${index + 1}`);
  });
}

function simulationBody() {
  const bids = [...bidRows.children].map((row) => ({
    amount: row.querySelector("input[name=amount]").value.trim(),
    minPrice: row.querySelector("input[name=minPrice]").value.trim(),
  }));
  const minDiscount = form.elements.minDiscount.value.trim();
  return {
    bids,
    cap: form.elements.cap.value.trim(),
    referencePrice: form.elements.referencePrice.value.trim(),
    rules: {
      minDiscount: minDiscount === "" ? null : minDiscount,
      allowPartialFill: form.elements.allowPartialFill.checked,
    },
  };
}

/** Draws a round result (the simulate answer, or a cleared round's `result`). */
function showResult(result, source) {
  document.getElementById("result-source").textContent = source;
  document.getElementById("clearing-price").textContent =
    result.clearingPrice === null ? "nothing cleared" : number(result.clearingPrice, 6);
  document.getElementById("cap-amount").textContent =
    `${number(result.cap.amount, 2)} (${result.cap.binding})`;
  document.getElementById("filled-amount").textContent = number(result.filled, 2);
  document.getElementById("payout-total").textContent = number(result.payoutTotal, 2);
  document.getElementById("margin-total").textContent = result.margin ? precise(result.margin.created) : "–";
  document.getElementById("price-ceiling").textContent =
    result.priceCeiling === null ? "none" : number(result.priceCeiling, 6);

  fillRows(
    document.getElementById("outcome-rows"),
    result.bids.map((bid) => [
      element("th", bid.id, { scope: "row" }),
      element("td", number(bid.amount, 2), { class: "num" }),
      element("td", number(bid.minPrice, 6), { class: "num" }),
      element("td", number(bid.accepted, 2), { class: "num" }),
      element("td", number(bid.payout, 2), { class: "num" }),
      element("td", bid.reason ? `${bid.status} (${bid.reason})` : bid.status),
    ]),
  );

  const curve = result.supplyCurve.map((point) => ({ x: Number(point.price), y: Number(point.cumulative) }));
  const prices = curve.map((point) => point.x);
  if (result.priceCeiling !== null) prices.push(Number(result.priceCeiling));
  if (result.clearingPrice !== null) prices.push(Number(result.clearingPrice));
  const low = prices.length > 0 ? Math.min(...prices) : 0;
  const high = prices.length > 0 ? Math.max(...prices) : 1;
  const margin = (high - low) * 0.1 || high * 0.1 || 0.01;
  const left = Math.max(0, low - margin);
  const right = high + margin;
  const capAmount = Number(result.cap.amount);
  const top = Math.max(capAmount, curve.at(-1)?.y ?? 0) * 1.1 || 1;
  // The curve starts at zero left of the cheapest bid and steps up at each price.
  const stepped =
    curve.length > 0
      ? [{ x: left, y: 0 }, { x: curve[0].x, y: 0 }, ...curve, { x: right, y: curve.at(-1).y }]
      : [];
  const datasets = [
    {
      label: "TFP offered at or below the price",
      data: stepped,
      stepped: "before",
      borderColor: palette[0],
      backgroundColor: palette[0],
    },
    {
      label: "Cap",
      data: [
        { x: left, y: capAmount },
        { x: right, y: capAmount },
      ],
      borderColor: palette[2],
      backgroundColor: palette[2],
      borderDash: [6, 4],
    },
  ];
  if (result.clearingPrice !== null) {
    const x = Number(result.clearingPrice);
    datasets.push({
      label: `Clearing price ${number(x, 6)}`,
      data: [
        { x, y: 0 },
        { x, y: top },
      ],
      borderColor: palette[1],
      backgroundColor: palette[1],
    });
  }
  if (result.priceCeiling !== null) {
    const x = Number(result.priceCeiling);
    datasets.push({
      label: `Price ceiling ${number(x, 6)}`,
      data: [
        { x, y: 0 },
        { x, y: top },
      ],
      borderColor: palette[3],
      backgroundColor: palette[3],
      borderDash: [2, 3],
    });
  }
  drawChart(document.getElementById("supply-chart"), {
    type: "scatter",
    data: { datasets: datasets.map((dataset) => ({ showLine: true, pointRadius: 0, ...dataset })) },
    options: {
      scales: {
        x: { type: "linear", min: left, max: right, title: { display: true, text: "USDC per TFP" } },
        y: { beginAtZero: true, suggestedMax: top, title: { display: true, text: "Cumulative TFP" } },
      },
      plugins: { legend: { position: "bottom" } },
    },
  });
}

async function simulate() {
  clearProblem(simulateProblem, form);
  if (!haveKey(simulateProblem, "Simulating")) return;
  try {
    const result = await withProgress(
      resultPanel,
      () => api("/v1/auctions/simulate", { method: "POST", body: simulationBody() }),
      "Simulating",
    );
    showResult(result, "Simulated round (no money moves).");
  } catch (error) {
    showProblem(simulateProblem, error, form);
  }
}

async function loadRounds() {
  clearProblem(roundsProblem);
  if (!haveKey(roundsProblem, "The list of rounds")) return;
  try {
    const page = await withProgress(roundsPanel, () => api("/v1/auctions?limit=20"), "Loading rounds");
    document.getElementById("rounds-empty").hidden = page.data.length > 0;
    fillRows(
      document.getElementById("round-rows"),
      page.data.map((round) => {
        const show = element("button", "Show curve", { type: "button" });
        show.disabled = round.result === null;
        show.addEventListener("click", () => showResult(round.result, `Round ${round.id} (${round.state}).`));
        // Bidding, and one's own bids and fills, live on the pool's page.
        const actions = element("div", "", { class: "actions" });
        actions.append(
          show,
          element("a", round.state === "open" ? "Bid / your bids" : "Your bids", {
            href: `/pools.html?pool=${encodeURIComponent(round.poolId)}`,
          }),
        );
        return [
          element("th", round.id, { scope: "row", class: "id" }),
          round.state,
          time(round.closesAt),
          element("td", String(round.bidsCount), { class: "num" }),
          element("td", round.result?.clearingPrice ? number(round.result.clearingPrice, 6) : "–", {
            class: "num",
          }),
          actions,
        ];
      }),
    );
  } catch (error) {
    showProblem(roundsProblem, error);
  }
}

for (const [amount, minPrice] of exampleBids) addBidRow(amount, minPrice);
document.getElementById("add-bid").addEventListener("click", () => addBidRow());
form.addEventListener("submit", (event) => {
  event.preventDefault();
  void simulate();
});
window.addEventListener("apikeychange", () => void loadRounds());

void loadRounds();
