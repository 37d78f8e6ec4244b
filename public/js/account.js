/**
 * Account page: balances (GET /v1/accounts), CC bought by card (POST /v1/credits/checkout: the
 * checkout URL), and for users the leases (GET /v1/leases, their events, ending one), the
 * interruptible bids (GET /v1/bids, cancelling one) and capacity requests (post one, accept an
 * offer), refreshed every few seconds while the page is open.
 */
import { ApiProblem, api, onSubmit, showProblem, submit } from "./api.js";
import { cc, element, fillRows, precise, time } from "./format.js";
import { setUpPage } from "./layout.js";

let me = await setUpPage();

/** How often the live lists are read again while the tab is visible. */
const refreshMs = 10_000;

const problemRegion = document.getElementById("account-problem");
const checkoutForm = document.getElementById("checkout-form");
const requestForm = document.getElementById("request-form");
let openEventsOf = null;

function badge(status) {
  const kind = {
    running: "healthy",
    open: "healthy",
    accepted: "healthy",
    paused: "degraded",
    held: "degraded",
  };
  return element("span", status, { class: `badge ${kind[status] ?? "halted"}` });
}

function idCell(id) {
  return element("th", id, { scope: "row", class: "id" });
}

function forUsers() {
  return me !== null && (me.role === "user" || me.role === "admin");
}

async function loadBalances() {
  const accounts = await api("/v1/accounts?limit=200");
  fillRows(
    document.getElementById("balance-rows"),
    accounts.data.map((account) => [
      idCell(account.id),
      `${account.asset} · ${account.kind}`,
      element("td", precise(account.balance.available), { class: "num" }),
      element("td", precise(account.balance.pendingDebits), { class: "num" }),
      element("td", precise(account.balance.posted), { class: "num" }),
    ]),
  );
  const select = checkoutForm.elements.accountId;
  const chosen = select.value;
  const ccAccounts = accounts.data.filter((account) => account.asset === "CC" && !account.closed);
  select.replaceChildren(
    ...ccAccounts.map((account) =>
      element("option", `${account.id} · ${cc(account.balance.available)}`, { value: account.id }),
    ),
  );
  if (ccAccounts.some((account) => account.id === chosen)) select.value = chosen;
}

async function showEvents(leaseId) {
  openEventsOf = leaseId;
  const events = await api(`/v1/leases/${encodeURIComponent(leaseId)}/events?limit=200`);
  document.getElementById("events-lease").textContent = leaseId;
  document.getElementById("event-list").replaceChildren(
    ...events.data.map((event) => {
      const item = element("li", "");
      item.append(element("strong", event.type), ` · ${time(event.at)} · ${event.detail}`);
      return item;
    }),
  );
  document.getElementById("events-box").hidden = false;
}

async function loadLeases() {
  const leases = await api("/v1/leases?limit=100");
  document.getElementById("leases-empty").hidden = leases.data.length > 0;
  fillRows(
    document.getElementById("lease-rows"),
    leases.data.map((lease) => {
      const actions = element("div", "", { class: "actions" });
      const events = element("button", "Events", { type: "button", "aria-label": `Events of ${lease.id}` });
      events.addEventListener(
        "click",
        () => void showEvents(lease.id).catch((error) => showProblem(problemRegion, error)),
      );
      actions.append(events);
      if (lease.status !== "ended") {
        const end = element("button", "End", { type: "button", "aria-label": `End ${lease.id}` });
        end.addEventListener("click", async () => {
          try {
            await api(`/v1/leases/${encodeURIComponent(lease.id)}`, { method: "DELETE" });
            await refresh();
          } catch (error) {
            showProblem(document.getElementById("leases-problem"), error);
          }
        });
        actions.append(end);
      }
      const status = element("td", "");
      status.append(badge(lease.status));
      if (lease.pausedReason) status.append(` ${lease.pausedReason.replaceAll("_", " ")}`);
      return [
        idCell(lease.id),
        element("td", lease.nodeId, { class: "id" }),
        `${lease.kind} (${lease.source.replaceAll("_", " ")})`,
        element("td", String(lease.slices), { class: "num" }),
        element("td", precise(lease.priceCcPerSliceHour, 4), { class: "num" }),
        status,
        element("td", cc(lease.charged), { class: "num" }),
        time(lease.startedAt),
        actions,
      ];
    }),
  );
  if (openEventsOf) await showEvents(openEventsOf);
}

async function loadBids() {
  const bids = await api("/v1/bids?limit=100");
  document.getElementById("bids-empty").hidden = bids.data.length > 0;
  fillRows(
    document.getElementById("bid-rows"),
    bids.data.map((bid) => {
      const actions = element("div", "", { class: "actions" });
      if (bid.status === "open") {
        const cancel = element("button", "Cancel", { type: "button", "aria-label": `Cancel ${bid.id}` });
        cancel.addEventListener("click", async () => {
          try {
            await api(`/v1/nodes/${encodeURIComponent(bid.nodeId)}/bids/${encodeURIComponent(bid.id)}`, {
              method: "DELETE",
            });
            await refresh();
          } catch (error) {
            showProblem(document.getElementById("bids-problem"), error);
          }
        });
        actions.append(cancel);
      }
      const status = element("td", "");
      status.append(badge(bid.status));
      return [
        idCell(bid.id),
        element("td", bid.nodeId, { class: "id" }),
        element("td", String(bid.slices), { class: "num" }),
        element("td", precise(bid.priceCcPerSliceHour, 4), { class: "num" }),
        status,
        time(bid.expiresAt),
        element("td", bid.leaseId ?? "–", { class: "id" }),
        actions,
      ];
    }),
  );
}

function requestCard(request) {
  const card = element("article", "", { class: "figure request", "data-request": request.id });
  const head = element("p", "");
  head.append(
    element("strong", request.id, { class: "id" }),
    " ",
    badge(request.status),
    ` · ${request.slices} slice${request.slices === 1 ? "" : "s"} for ${request.durationHours} h · at most ${precise(request.maxPriceCcPerSliceHour, 4)} CC per slice-hour · budget ${cc(request.budget)} · offers until ${time(request.deadline)}`,
  );
  card.append(head);
  if (request.leaseId) card.append(element("p", `Lease ${request.leaseId}`, { class: "success" }));
  if (request.offers.length === 0) {
    // Offers are read for open requests only (the list leaves them out).
    if (request.status === "open") card.append(element("p", "No offers yet.", { class: "hint" }));
    return card;
  }
  const list = element("ul", "");
  for (const offer of request.offers) {
    const item = element("li", "");
    item.append(
      `${offer.nodeId} (${offer.farmerId}) at ${precise(offer.priceCcPerSliceHour, 4)} CC per slice-hour · `,
      badge(offer.status),
    );
    if (offer.detail) item.append(` ${offer.detail}`);
    if (offer.status === "open" && request.status === "open") {
      const accept = element("button", "Accept", {
        type: "button",
        "aria-label": `Accept offer ${offer.id}`,
      });
      accept.addEventListener("click", async () => {
        try {
          const lease = await api(`/v1/capacity-requests/${encodeURIComponent(request.id)}/accept`, {
            method: "POST",
            body: { offerId: offer.id },
          });
          document.getElementById("request-done").textContent = `Offer accepted: lease ${lease.id}.`;
          await refresh();
        } catch (error) {
          showProblem(document.getElementById("request-problem"), error);
        }
      });
      item.append(" ", accept);
    }
    list.append(item);
  }
  card.append(list);
  return card;
}

async function loadRequests() {
  const requests = await api("/v1/capacity-requests?limit=50");
  // The list leaves the offers out; an open request's own answer has them.
  const detailed = await Promise.all(
    requests.data.map((request) =>
      request.status === "open" ? api(`/v1/capacity-requests/${encodeURIComponent(request.id)}`) : request,
    ),
  );
  const list = document.getElementById("request-list");
  list.replaceChildren(...detailed.map(requestCard));
  if (requests.data.length === 0) list.append(element("p", "No capacity requests yet.", { class: "hint" }));
}

async function refresh() {
  if (!me) return;
  const tasks = [loadBalances()];
  if (forUsers()) tasks.push(loadLeases(), loadBids(), loadRequests());
  const outcomes = await Promise.allSettled(tasks);
  const failed = outcomes.find((outcome) => outcome.status === "rejected");
  if (failed) showProblem(problemRegion, failed.reason);
  else problemRegion.hidden = true;
}

function showSections() {
  for (const section of document.querySelectorAll("[data-roles]")) {
    section.hidden = !me || !section.dataset.roles.split(" ").includes(me.role);
  }
  if (!me) {
    showProblem(
      problemRegion,
      new ApiProblem({ title: "Your account needs an API key: sign in with one in the header." }),
    );
  }
}

onSubmit(checkoutForm, document.getElementById("checkout-problem"), async () => {
  document.getElementById("checkout-result").replaceChildren();
  const quote = await api("/v1/credits/checkout", {
    method: "POST",
    body: {
      accountId: checkoutForm.elements.accountId.value,
      amountUsd: checkoutForm.elements.amountUsd.value.trim(),
    },
  });
  const result = document.getElementById("checkout-result");
  const line = element("p", "", { class: "summary-line", "data-quote": quote.id });
  line.append(
    `${precise(quote.amountUsd)} USD buys ${cc(quote.amountCc)} at ${precise(quote.ccUsd, 4)} USD per CC (quote ${quote.reference}, valid until ${time(quote.expiresAt)}). `,
  );
  if (quote.checkoutUrl) {
    line.append(
      element("a", "Pay by card", { href: quote.checkoutUrl, id: "checkout-link", rel: "noreferrer" }),
    );
  } else {
    line.append(
      element("span", "Card payments are not configured on this service: no checkout link.", {
        class: "hint",
      }),
    );
  }
  result.replaceChildren(line);
});

onSubmit(requestForm, document.getElementById("request-problem"), async () => {
  const value = (name) => requestForm.elements[name].value.trim();
  const requirements = {};
  if (value("minMemGb") !== "") requirements.minMemGb = value("minMemGb");
  if (value("region") !== "") requirements.region = value("region");
  const request = await api("/v1/capacity-requests", {
    method: "POST",
    body: {
      slices: Number(value("slices")),
      requirements,
      durationHours: Number(value("durationHours")),
      maxPriceCcPerSliceHour: value("maxPriceCcPerSliceHour"),
      budget: value("budget"),
      deadlineInHours: Number(value("deadlineInHours")),
      acceptCheapestAtDeadline: requestForm.elements.acceptCheapestAtDeadline.checked,
    },
  });
  document.getElementById("request-done").textContent =
    `Request ${request.id} posted: farmers can offer until ${time(request.deadline)}.`;
  await refresh();
});

window.addEventListener("apikeychange", (event) => {
  me = event.detail ?? null;
  showSections();
  void refresh();
});

showSections();
void submit(document.getElementById("balances-panel"), problemRegion, refresh);
setInterval(() => {
  if (document.visibilityState === "visible") void refresh();
}, refreshMs);
