/**
 * Pools page for liquidity providers: a pool's liquidity and totals with your positions, their
 * share and the exit margin paid to them (GET /v1/pools/{id}); contributing (POST
 * /v1/pools/{id}/positions); the pool's exit rounds (GET /v1/auctions?poolId=) with a bid form for
 * an open one that warns before submitting when the minimum price is above the round's price
 * ceiling (POST /v1/auctions/{id}/bids: the TFP is held until the round settles); and your bids
 * with their fills and payouts (GET /v1/auctions/{id}/bids), cancellable before the deadline.
 */
import { ApiProblem, api, onSubmit, showProblem, submit } from "./api.js";
import { amount, element, fillRows, percent, precise, time } from "./format.js";
import { setUpPage } from "./layout.js";

let me = await setUpPage();

const problemRegion = document.getElementById("pools-problem");
const poolSelect = document.getElementById("pool-select");
const contributeForm = document.getElementById("contribute-form");
let accounts = [];
let pool = null;

function figure(label, value, id) {
  const box = element("div", "", { class: "figure" });
  box.append(element("span", label, { class: "label" }), element("span", value, { class: "value", id }));
  return box;
}

function accountOptions(select, asset) {
  const chosen = select.value;
  const usable = accounts.filter((account) => account.asset === asset && !account.closed);
  select.replaceChildren(
    ...usable.map((account) =>
      element("option", `${account.id} · ${amount(account.balance.available, asset)} available`, {
        value: account.id,
      }),
    ),
  );
  if (usable.some((account) => account.id === chosen)) select.value = chosen;
}

async function loadAccounts() {
  accounts = (await api("/v1/accounts?limit=200")).data;
  accountOptions(contributeForm.elements.accountId, contributeForm.elements.asset.value);
  for (const select of document.querySelectorAll("select[data-asset]"))
    accountOptions(select, select.dataset.asset);
}

async function loadPool() {
  const poolId = poolSelect.value;
  if (!poolId) return;
  pool = await api(`/v1/pools/${encodeURIComponent(poolId)}`);
  const mine = pool.positions.filter((position) => position.ownerId === me.ownerId);
  const myShare = mine.reduce((sum, position) => sum + Number(position.share), 0);
  document
    .getElementById("pool-figures")
    .replaceChildren(
      figure("USDC in the pool", amount(pool.liquidity.usdc, "USDC")),
      figure("TFP in the pool", amount(pool.liquidity.tfp, "TFP")),
      figure("Your share", percent(myShare, 2), "my-share"),
      figure("Exit margin paid to LPs", amount(pool.totals.rewardsPaid, "USDC"), "rewards-paid"),
      figure(
        "Exited by rounds",
        `${amount(pool.totals.exitedTfp, "TFP")} for ${amount(pool.totals.exited, "USDC")}`,
      ),
    );
  document.getElementById("positions-empty").hidden = mine.length > 0;
  fillRows(
    document.getElementById("position-rows"),
    mine.map((position) => [
      element("th", position.id, { scope: "row", class: "id" }),
      position.asset,
      element("td", precise(position.amount), { class: "num" }),
      element("td", precise(position.value), { class: "num" }),
      element("td", percent(position.share, 2), { class: "num" }),
      element("td", precise(position.rewards), { class: "num" }),
    ]),
  );
}

/** The warning shown before submitting a bid whose minimum price is above the round's ceiling. */
function ceilingWarning(round, minPrice) {
  const ceiling = round.cap.priceCeiling;
  if (ceiling === null || minPrice === "" || !Number.isFinite(Number(minPrice))) return "";
  if (Number(minPrice) <= Number(ceiling)) return "";
  return `Your minimum ${minPrice} USDC per TFP is above this round's price ceiling of ${precise(ceiling, 4)}${
    round.cap.indicative ? " (indicative until the round closes)" : ""
  }: the bid would be ineligible and fill nothing. Submit again to place it anyway.`;
}

function bidForm(round) {
  const id = `bid-${round.id}`;
  const bidFormElement = element("form", "", { class: "stack", id, novalidate: "" });
  const row = element("div", "", { class: "row" });
  const field = (name, label, control) => {
    const box = element("div", "", { class: "field" });
    box.append(element("label", label, { for: `${id}-${name}` }), control);
    row.append(box);
  };
  field(
    "amount",
    "TFP to exit",
    element("input", "", {
      id: `${id}-amount`,
      name: "amount",
      inputmode: "decimal",
      "data-field": "amount",
    }),
  );
  field(
    "minPrice",
    "Lowest price (USDC per TFP)",
    element("input", "", {
      id: `${id}-minPrice`,
      name: "minPrice",
      inputmode: "decimal",
      "data-field": "minPrice",
    }),
  );
  const from = element("select", "", {
    id: `${id}-accountId`,
    name: "accountId",
    "data-field": "accountId",
    "data-asset": "TFP",
  });
  field("accountId", "TFP from", from);
  const payout = element("select", "", {
    id: `${id}-payoutAccountId`,
    name: "payoutAccountId",
    "data-field": "payoutAccountId",
    "data-asset": "USDC",
  });
  field("payoutAccountId", "USDC to", payout);
  accountOptions(from, "TFP");
  accountOptions(payout, "USDC");
  const warning = element("p", "", { class: "warning", role: "alert", "data-warning": "ceiling" });
  warning.hidden = true;
  const problem = element("div", "", { class: "problem", role: "alert" });
  problem.hidden = true;
  const done = element("p", "", { class: "success", role: "status" });
  bidFormElement.append(row, warning, element("button", "Place exit bid", { type: "submit" }));
  let warned = "";
  bidFormElement.addEventListener("input", () => {
    const text = ceilingWarning(round, bidFormElement.elements.minPrice.value.trim());
    warning.textContent = text;
    warning.hidden = text === "";
  });
  onSubmit(bidFormElement, problem, async () => {
    const minPrice = bidFormElement.elements.minPrice.value.trim();
    const text = ceilingWarning(round, minPrice);
    // Above the ceiling: warn first; a second submit of the same price places it anyway.
    if (text !== "" && warned !== minPrice) {
      warned = minPrice;
      warning.textContent = text;
      warning.hidden = false;
      return;
    }
    const bid = await api(`/v1/auctions/${encodeURIComponent(round.id)}/bids`, {
      method: "POST",
      body: {
        amount: bidFormElement.elements.amount.value.trim(),
        minPrice,
        accountId: from.value,
        payoutAccountId: payout.value,
      },
    });
    done.textContent = `Bid ${bid.id} placed: ${amount(bid.amount, "TFP")} held until the round settles.`;
    warned = "";
    await Promise.all([loadAccounts(), loadFills()]);
  });
  const box = element("div", "");
  box.append(bidFormElement, problem, done);
  return box;
}

let rounds = [];

async function loadRounds() {
  const list = document.getElementById("round-list");
  const answer = await api(`/v1/auctions?poolId=${encodeURIComponent(poolSelect.value)}&limit=20`);
  // The list gives summaries; each round's own answer has its cap, ceiling and result.
  rounds = await Promise.all(answer.data.map((round) => api(`/v1/auctions/${encodeURIComponent(round.id)}`)));
  list.replaceChildren(
    ...rounds.map((round) => {
      const card = element("article", "", { class: "figure round", "data-round": round.id });
      const head = element("p", "");
      const ceiling =
        round.cap.priceCeiling === null
          ? "no ceiling"
          : `ceiling ${precise(round.cap.priceCeiling, 4)} USDC per TFP`;
      head.append(
        element("strong", round.id, { class: "id" }),
        ` · ${round.state} · closes ${time(round.closesAt)} · ${ceiling} · ${round.bidsCount} bid${round.bidsCount === 1 ? "" : "s"}`,
      );
      card.append(head);
      if (round.result) {
        card.append(
          element(
            "p",
            `Cleared at ${round.result.clearingPrice === null ? "nothing" : `${precise(round.result.clearingPrice, 4)} USDC per TFP`}: ${amount(round.result.filled, "TFP")} bought for ${amount(round.result.payoutTotal, "USDC")}; exit margin to remaining LPs ${amount(round.result.margin.distributed, "USDC")}.`,
            { class: "summary-line" },
          ),
        );
      }
      if (round.acceptingBids) card.append(bidForm(round));
      return card;
    }),
  );
  if (rounds.length === 0) list.append(element("p", "No rounds for this pool yet.", { class: "hint" }));
}

async function loadFills() {
  const rows = [];
  for (const round of rounds) {
    const bids = await api(`/v1/auctions/${encodeURIComponent(round.id)}/bids`);
    for (const bid of bids.data) rows.push({ round, bid });
  }
  document.getElementById("fills-empty").hidden = rows.length > 0;
  fillRows(
    document.getElementById("fill-rows"),
    rows.map(({ round, bid }) => {
      const actions = element("div", "", { class: "actions" });
      if (bid.status === "held" && round.acceptingBids) {
        const cancel = element("button", "Cancel", { type: "button", "aria-label": `Cancel ${bid.id}` });
        cancel.addEventListener("click", async () => {
          try {
            await api(`/v1/auctions/${encodeURIComponent(round.id)}/bids/${encodeURIComponent(bid.id)}`, {
              method: "DELETE",
            });
            await Promise.all([loadAccounts(), loadFills()]);
          } catch (error) {
            showProblem(problemRegion, error);
          }
        });
        actions.append(cancel);
      }
      return [
        element("th", bid.id, { scope: "row", class: "id" }),
        element("td", round.id, { class: "id" }),
        element("td", precise(bid.amount), { class: "num" }),
        element("td", precise(bid.minPrice, 4), { class: "num" }),
        bid.status,
        element("td", bid.accepted === null ? "–" : precise(bid.accepted), { class: "num" }),
        element("td", bid.payout === null ? "–" : precise(bid.payout), { class: "num" }),
        actions,
      ];
    }),
  );
}

async function loadSelected() {
  await loadPool();
  await loadRounds();
  await loadFills();
}

onSubmit(contributeForm, document.getElementById("contribute-problem"), async () => {
  const position = await api(`/v1/pools/${encodeURIComponent(poolSelect.value)}/positions`, {
    method: "POST",
    body: {
      asset: contributeForm.elements.asset.value,
      amount: contributeForm.elements.amount.value.trim(),
      accountId: contributeForm.elements.accountId.value,
    },
  });
  document.getElementById("contribute-done").textContent =
    `Position ${position.id}: ${amount(position.amount, position.asset)} valued ${amount(position.value, "USDC")}.`;
  await Promise.all([loadAccounts(), loadPool()]);
});
contributeForm.elements.asset.addEventListener("change", () =>
  accountOptions(contributeForm.elements.accountId, contributeForm.elements.asset.value),
);
poolSelect.addEventListener(
  "change",
  () => void submit(document.getElementById("pool-panel"), problemRegion, loadSelected),
);

async function start() {
  if (!me) {
    showProblem(
      problemRegion,
      new ApiProblem({ title: "Pools need an LP key: sign in with one in the header." }),
    );
    return;
  }
  await submit(document.getElementById("pool-panel"), problemRegion, async () => {
    const pools = await api("/v1/pools?limit=100");
    poolSelect.replaceChildren(
      ...pools.data.map((each) => element("option", `${each.name} (${each.id})`, { value: each.id })),
    );
    const wanted = new URLSearchParams(location.search).get("pool");
    if (wanted && pools.data.some((each) => each.id === wanted)) poolSelect.value = wanted;
    await loadAccounts();
    await loadSelected();
  });
}

window.addEventListener("apikeychange", (event) => {
  me = event.detail ?? null;
  void start();
});
void start();
