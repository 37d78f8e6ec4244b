/**
 * The actors' moves: each a weighted choice among real HTTP calls, most with valid input and some
 * deliberately wrong (another owner's account, too many decimals, a missing Idempotency-Key, an
 * unknown node), plus the senders' webhooks (delivered late, twice, out of order, or forged), the
 * oracle's feeds, the passage of time through the books' clock hook, and the cron.
 * Every choice comes from the world's seeded stream.
 */
import Stripe from "stripe";
import { signBridgePayload } from "../../src/credits/bridge";
import { createApiKey } from "../../src/kit/auth";
import { simBridgeSecret, simStripeSecret } from "./service";
import type { Actor, Response, World } from "./world";

const hourMs = 3_600_000;
/** Retries of an uncertain call kept for later steps; older ones are retried first. */
export const pendingRetriesMax = 64;
/** Events kept for duplicate deliveries. */
const deliveredKeptMax = 64;
/** Polls of an exit round waiting for its close (the round has no clock hook: real time). */
const roundPollsMax = 100;
const roundPollIntervalMs = 100;
/** How long a round opened to close "soon" stays open, in real time (see the report). */
const roundOpenMs = 1_500;
/** How far a silent node's last heartbeat is aged: past MARKET_HEARTBEAT_TIMEOUT_HOURS (3). */
const silenceAgeMs = 4 * hourMs;
const stellarDestination = "GBOVQKJYHXRR3DX6NOX2RRYFRCUMSADGDESTDNBDS6CDVLGVESRTAC47";

export type PendingCall = {
  method: string;
  path: string;
  key: string;
  body: unknown;
  idempotencyKey: string;
  label: string;
};

const ok = (response: Response) => !response.lost && response.status >= 200 && response.status < 300;
const uncertain = (response: Response) => response.lost || (response.status >= 500 && response.faulted);
const field = (response: Response, name: string): string | null => {
  const body = response.body;
  if (typeof body !== "object" || body === null || !(name in body)) return null;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === "string" ? value : null;
};

/** A value-moving call with an Idempotency-Key; an uncertain outcome is queued for a retry. */
async function send(
  world: World,
  retries: PendingCall[],
  label: string,
  method: string,
  path: string,
  key: string,
  body: unknown,
): Promise<Response> {
  const idempotencyKey = world.nextId("idem");
  const response = await world.request(method, path, {
    key,
    body,
    headers: { "idempotency-key": idempotencyKey },
    label,
  });
  if (uncertain(response) && retries.length < pendingRetriesMax) {
    retries.push({ method, path, key, body, idempotencyKey, label });
  }
  return response;
}

/** Retries one uncertain call with its own key and body: it must replay or complete, never conflict. */
export async function retryOne(
  world: World,
  retries: PendingCall[],
  index: number,
): Promise<Response | null> {
  const call = retries[index];
  if (call === undefined) return null;
  const response = await world.request(call.method, call.path, {
    key: call.key,
    body: call.body,
    headers: { "idempotency-key": call.idempotencyKey },
    label: `retry ${call.label}`,
  });
  if (!uncertain(response)) retries.splice(index, 1);
  if (response.status === 409 && /IDEMPOTENCY/.test(JSON.stringify(response.body))) {
    world.violate(
      "retry-replays",
      `${call.method} ${call.path} retried with the same key and body → 409 ${JSON.stringify(response.body).slice(0, 200)}`,
    );
  }
  return response;
}

// ── setup ──────────────────────────────────────────────────────────────────────────────────

async function seedActor(world: World, role: Actor["role"], index: number): Promise<Actor> {
  const ownerId = `${role}_s${world.seed}_${index}`;
  const { plaintext } = await createApiKey(world.service.client, { ownerId, role, name: `sim ${role}` });
  const accounts: Actor["accounts"] = {};
  if (role !== "admin") {
    const kind = role === "farmer" ? "farmer" : role === "lp" ? "lp" : "user";
    const assets = role === "lp" ? (["USDC", "TFP"] as const) : (["CC", "TFP", "USDC"] as const);
    for (const asset of assets) {
      const created = await world.request("POST", "/v1/accounts", {
        key: world.admin.key,
        body: { ownerId, asset, kind },
        label: "setup",
      });
      const id = field(created, "id");
      if (id === null)
        throw new Error(
          `setup: account for ${ownerId} ${asset}: ${created.status} ${JSON.stringify(created.body)}`,
        );
      accounts[asset] = id;
    }
  }
  return { key: plaintext, ownerId, role, accounts };
}

/** The cast, its accounts, first prices, a pool, and money to start with. */
export async function setUp(world: World, retries: PendingCall[]): Promise<void> {
  const { plaintext } = await createApiKey(world.service.client, {
    ownerId: `admin_s${world.seed}`,
    role: "admin",
    name: "sim admin",
  });
  world.admin = { key: plaintext, ownerId: `admin_s${world.seed}`, role: "admin", accounts: {} };
  const random = world.random;
  for (let index = 0, count = random.between(3, 5); index < count; index++)
    world.users.push(await seedActor(world, "user", index));
  for (let index = 0, count = random.between(2, 3); index < count; index++)
    world.farmers.push(await seedActor(world, "farmer", index));
  for (let index = 0; index < 2; index++) world.lps.push(await seedActor(world, "lp", index));
  await runCron(world);
  for (const lp of world.lps) {
    await send(world, retries, "setup", "POST", "/v1/transfers", world.admin.key, {
      transfers: [
        {
          type: "posted",
          id: world.nextId("fund"),
          debitAccountId: "acc_issuance_usdc",
          creditAccountId: lp.accounts.USDC,
          asset: "USDC",
          amount: String(random.between(1_000, 50_000)),
          code: "sim_funding",
        },
      ],
    });
  }
  const pool = await world.request("POST", "/v1/pools", {
    key: world.admin.key,
    body: { name: "sim pool" },
    label: "setup",
  });
  const poolId = field(pool, "id");
  if (poolId !== null) world.pools.push({ id: poolId });
  for (let index = 0; index < world.users.length; index++) {
    await buyByCard(world, retries, index, true);
    await depositTft(world, index, true);
  }
  for (let index = 0; index < world.farmers.length; index++) await registerNode(world, retries, index);
  while (world.outbox.length > 0) await deliverOne(world, 0, false);
}

// ── money in ───────────────────────────────────────────────────────────────────────────────

function stripeEvent(world: World, type: string, object: Record<string, unknown>): string {
  return JSON.stringify({
    id: world.nextId("evt"),
    object: "event",
    api_version: "2025-10-29.clover",
    // The event's time is the sender's clock (the Worker compares it with the quote's expiry).
    created: Math.floor(Date.now() / 1000),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  });
}

async function buyByCard(
  world: World,
  retries: PendingCall[],
  userIndex: number,
  valid: boolean,
): Promise<void> {
  const user = world.users[userIndex]!;
  const cents = world.random.between(500, 10_000);
  const wrong = !valid ? world.random.pick(["decimals", "foreign", "negative"] as const) : null;
  const body = {
    accountId:
      wrong === "foreign" ? world.users[(userIndex + 1) % world.users.length]!.accounts.CC : user.accounts.CC,
    amountUsd:
      wrong === "decimals"
        ? `${cents / 100}.001`
        : wrong === "negative"
          ? `-${cents / 100}`
          : (cents / 100).toFixed(2),
  };
  const quote = await send(world, retries, "card quote", "POST", "/v1/credits/checkout", user.key, body);
  const quoteId = field(quote, "id");
  if (!ok(quote) || quoteId === null) return;
  world.checkoutQuotes.push({ id: quoteId, user: userIndex, cents });
  const paymentIntent = world.nextId("pi");
  // The card network's two announcements of one payment, queued: they may arrive in any order, twice.
  world.outbox.push({
    channel: "stripe",
    label: `checkout ${quoteId}`,
    payload: stripeEvent(world, "checkout.session.completed", {
      id: world.nextId("cs"),
      object: "checkout.session",
      amount_total: cents,
      currency: "usd",
      client_reference_id: quoteId,
      metadata: { cc_quote_id: quoteId },
      mode: "payment",
      payment_intent: paymentIntent,
      payment_status: "paid",
      status: "complete",
    }),
  });
  world.outbox.push({
    channel: "stripe",
    label: `intent ${paymentIntent}`,
    payload: stripeEvent(world, "payment_intent.succeeded", {
      id: paymentIntent,
      object: "payment_intent",
      amount: cents,
      amount_received: cents,
      currency: "usd",
      metadata: { cc_quote_id: quoteId },
      status: "succeeded",
    }),
  });
  world.paidIntents.push({ id: paymentIntent, user: userIndex, cents, refundedCents: 0 });
}

function refund(world: World): void {
  const candidates = world.paidIntents.filter((intent) => intent.refundedCents < intent.cents);
  if (candidates.length === 0) return;
  const intent = world.random.pick(candidates);
  intent.refundedCents = Math.min(intent.cents, intent.refundedCents + world.random.between(1, intent.cents));
  world.outbox.push({
    channel: "stripe",
    label: `refund ${intent.id}`,
    payload: stripeEvent(world, "charge.refunded", {
      id: world.nextId("ch"),
      object: "charge",
      amount: intent.cents,
      amount_refunded: intent.refundedCents,
      currency: "usd",
      payment_intent: intent.id,
      refunded: intent.refundedCents === intent.cents,
    }),
  });
}

function bridgeEvent(world: World, type: string, data: Record<string, unknown>): string {
  return JSON.stringify({ id: world.nextId("bev"), type, created: Math.floor(Date.now() / 1000), data });
}

async function depositTft(world: World, userIndex: number, valid: boolean): Promise<void> {
  const user = world.users[userIndex]!;
  const amount = `${world.random.between(50, 5_000)}${valid ? "" : ".12345678"}`;
  world.outbox.push({
    channel: "bridge",
    label: `deposit ${user.ownerId}`,
    payload: bridgeEvent(world, "deposit.confirmed", {
      depositId: world.nextId("dep"),
      accountId: user.accounts.TFP,
      amount,
      txHash: world.random.token(64).toLowerCase(),
    }),
  });
}

/** Delivers the outbox's event at `index`; `keep` leaves a copy for a duplicate later. */
async function deliverOne(world: World, index: number, keep: boolean): Promise<void> {
  const event = world.outbox[index];
  if (event === undefined) return;
  const response = await deliver(world, event, "signed");
  if (!uncertain(response)) {
    world.outbox.splice(index, 1);
    if (keep || world.delivered.length < deliveredKeptMax) world.delivered.push(event);
    if (world.delivered.length > deliveredKeptMax) world.delivered.shift();
  }
  if (!response.lost && response.status >= 400 && response.status < 500 && response.status !== 422) {
    world.note(`webhook ${event.label} refused ${response.status}`);
  }
}

type Signing = "signed" | "wrongSecret" | "missing" | "expired" | "tampered";

async function deliver(
  world: World,
  event: { channel: "stripe" | "bridge"; payload: string; label: string },
  signing: Signing,
): Promise<Response> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const timestamp = signing === "expired" ? nowSeconds - 3_600 : nowSeconds;
  const payload =
    signing === "tampered"
      ? event.payload.replace(/"amount(_total|_received)?":(\s*)"?([0-9]+)/, (match) => `${match}9`)
      : event.payload;
  const signedPayload = signing === "tampered" ? event.payload : payload;
  if (event.channel === "stripe") {
    const secret = signing === "wrongSecret" ? "whsec_forged_secret" : simStripeSecret;
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: signedPayload, secret, timestamp });
    return world.request("POST", "/v1/webhooks/stripe", {
      rawBody: payload,
      headers: {
        "content-type": "application/json; charset=utf-8",
        ...(signing === "missing" ? {} : { "stripe-signature": signature }),
      },
      label: `stripe ${signing} ${event.label}`,
    });
  }
  const secret = signing === "wrongSecret" ? "bridge_forged_secret" : simBridgeSecret;
  const signature = await signBridgePayload(signedPayload, secret, timestamp);
  return world.request("POST", "/v1/webhooks/tft-bridge", {
    rawBody: payload,
    headers: {
      "content-type": "application/json",
      ...(signing === "missing" ? {} : { "x-bridge-signature": signature }),
    },
    label: `bridge ${signing} ${event.label}`,
  });
}

async function forge(world: World): Promise<void> {
  const pool = [...world.outbox, ...world.delivered];
  if (pool.length === 0) return;
  const event = world.random.pick(pool);
  const signing = world.random.pick(["wrongSecret", "missing", "expired", "tampered"] as const);
  const response = await deliver(world, event, signing);
  if (ok(response))
    world.violate(
      "forged-webhook-refused",
      `${signing} ${event.channel} ${event.label} → ${response.status}`,
    );
}

// ── conversions and withdrawals ────────────────────────────────────────────────────────────

async function convert(
  world: World,
  retries: PendingCall[],
  userIndex: number,
  valid: boolean,
): Promise<void> {
  const user = world.users[userIndex]!;
  const amount = valid ? String(world.random.between(1, 400)) : world.random.pick(["0", "1.123456789", "-3"]);
  const quote = await send(world, retries, "conversion quote", "POST", "/v1/conversions/quotes", user.key, {
    pool: "entry",
    fromAccountId: user.accounts.TFP,
    toAccountId: user.accounts.CC,
    amount,
  });
  const quoteId = field(quote, "id");
  if (quoteId === null) return;
  world.conversionQuotes.push({ id: quoteId, user: userIndex });
  if (world.random.chance(0.8)) await executeConversion(world, retries);
}

async function executeConversion(world: World, retries: PendingCall[]): Promise<void> {
  if (world.conversionQuotes.length === 0) return;
  const quote = world.random.pick(world.conversionQuotes);
  // Sometimes another user tries to use the quote.
  const user = world.random.chance(0.1) ? world.random.pick(world.users) : world.users[quote.user]!;
  await send(world, retries, "conversion", "POST", "/v1/conversions", user.key, { quoteId: quote.id });
}

async function withdraw(world: World, retries: PendingCall[], userIndex: number): Promise<void> {
  const user = world.users[userIndex]!;
  const response = await send(world, retries, "withdrawal", "POST", "/v1/withdrawals", user.key, {
    accountId: user.accounts.TFP,
    amount: String(world.random.between(1, 300)),
    destination: stellarDestination,
  });
  const id = field(response, "id");
  const amountTft = field(response, "amountTft");
  if (id !== null && amountTft !== null && ok(response)) world.withdrawals.push({ id, amountTft });
}

function bridgeOutcome(world: World): void {
  if (world.withdrawals.length === 0) return;
  const { id, amountTft } = world.random.pick(world.withdrawals);
  const paid = world.random.chance(0.6);
  world.outbox.push({
    channel: "bridge",
    label: `withdrawal ${paid ? "paid" : "failed"} ${id}`,
    payload: paid
      ? bridgeEvent(world, "withdrawal.paid", {
          withdrawalId: id,
          amount: amountTft,
          txHash: world.random.token(64).toLowerCase(),
        })
      : bridgeEvent(world, "withdrawal.failed", { withdrawalId: id, reason: "sim: destination refused" }),
  });
}

// ── farmers and nodes ──────────────────────────────────────────────────────────────────────

async function registerNode(world: World, retries: PendingCall[], farmerIndex: number): Promise<void> {
  const farmer = world.farmers[farmerIndex]!;
  const sliceCount = world.random.between(2, 8);
  const valid = world.random.chance(0.85);
  const response = await send(world, retries, "register", "POST", "/v1/nodes", farmer.key, {
    name: `sim node ${world.nodes.length}`,
    catalogueId: "3node-home",
    region: world.random.pick(["eu-west", "us-east"]),
    sliceCount,
    pricePerSliceMonth: valid ? world.random.pick(["1.2", "3", "6", "12"]) : "0.5",
    pricePerSliceHour: world.random.pick(["0.01", "0.02", "0.005"]),
    minBidCcPerSliceHour: "0.01",
    payoutAccountId: farmer.accounts.CC,
  });
  const id = field(response, "id");
  if (id !== null && ok(response)) world.nodes.push({ id, farmer: farmerIndex, sliceCount, silent: false });
}

async function farmerMove(world: World, retries: PendingCall[]): Promise<void> {
  if (world.nodes.length === 0) return;
  const node = world.random.pick(world.nodes);
  const farmer = world.random.chance(0.1) ? world.random.pick(world.farmers) : world.farmers[node.farmer]!;
  const move = world.random.weighted({ price: 3, state: 2, heartbeat: 5, silence: 1, decide: 4 });
  if (move === "price") {
    await world.request("PUT", `/v1/nodes/${node.id}/price`, {
      key: farmer.key,
      body: {
        pricePerSliceMonth: world.random.pick(["1.2", "3", "6", "13"]),
        pricePerSliceHour: world.random.pick(["0.005", "0.01", "0.02", "0.00999999999"]),
      },
      label: "price",
    });
  } else if (move === "state") {
    await world.request("PUT", `/v1/nodes/${node.id}/state`, {
      key: farmer.key,
      body: { state: world.random.pick(["online", "offline", "maintenance", "online"]) },
      label: "state",
    });
  } else if (move === "heartbeat") {
    if (node.silent && world.random.chance(0.7)) return;
    node.silent = false;
    await world.request("POST", `/v1/nodes/${node.id}/heartbeat`, { key: farmer.key, label: "heartbeat" });
  } else if (move === "silence") {
    // The Worker's clock cannot be moved, so silence is made by ageing the node's last heartbeat
    // past the timeout (3 h); the cron then takes it offline until its next heartbeat.
    node.silent = true;
    await world.service.client.execute({
      sql: "UPDATE nodes SET last_heartbeat_at = coalesce(last_heartbeat_at, created_at) - ?, created_at = created_at - ? WHERE id = ?",
      args: [silenceAgeMs, silenceAgeMs, node.id],
    });
    world.note(`node ${node.id} goes silent`);
    await runCron(world);
  } else {
    const bids = world.bids.filter((bid) => bid.nodeId === node.id);
    if (bids.length === 0) return;
    const bid = world.random.pick(bids);
    const action = world.random.pick(["accept", "reject"] as const);
    const response = await send(
      world,
      retries,
      `bid ${action}`,
      "POST",
      `/v1/nodes/${node.id}/bids/${bid.id}/${action}`,
      farmer.key,
      undefined,
    );
    const leaseId = field(response, "leaseId");
    if (leaseId !== null) world.leases.push({ id: leaseId, user: bid.user, nodeId: node.id });
  }
}

// ── users in the market ────────────────────────────────────────────────────────────────────

async function reserve(
  world: World,
  retries: PendingCall[],
  userIndex: number,
  valid: boolean,
): Promise<void> {
  if (world.nodes.length === 0) return;
  const user = world.users[userIndex]!;
  const node = world.random.pick(world.nodes);
  const wrong = valid ? null : world.random.pick(["unknownNode", "foreign", "slices"] as const);
  const response = await send(world, retries, "reserve", "POST", "/v1/leases", user.key, {
    nodeId: wrong === "unknownNode" ? "node_nosuchnode" : node.id,
    slices:
      wrong === "slices"
        ? node.sliceCount + 1
        : world.random.between(1, Math.max(1, Math.floor(node.sliceCount / 2))),
    durationHours: world.random.pick([null, 1, 6, 24, 72]),
    ...(wrong === "foreign"
      ? { accountId: world.users[(userIndex + 1) % world.users.length]!.accounts.CC }
      : {}),
  });
  const id = field(response, "id");
  if (id !== null && ok(response)) world.leases.push({ id, user: userIndex, nodeId: node.id });
}

async function placeBid(
  world: World,
  retries: PendingCall[],
  userIndex: number,
  valid: boolean,
): Promise<void> {
  if (world.nodes.length === 0) return;
  const user = world.users[userIndex]!;
  const node = world.random.pick(world.nodes);
  const price = valid
    ? world.random.pick(["0.01", "0.02", "0.05", "0.1", "0.5"])
    : world.random.pick(["0.0000000000001", "abc", "0.001"]);
  const response = await send(world, retries, "bid", "POST", `/v1/nodes/${node.id}/bids`, user.key, {
    slices: world.random.between(1, node.sliceCount),
    priceCcPerSliceHour: price,
    expiresInHours: world.random.between(1, 48),
  });
  const id = field(response, "id");
  if (id !== null && ok(response)) {
    world.bids.push({ id, user: userIndex, nodeId: node.id });
    const leaseId = field(response, "leaseId");
    if (leaseId !== null) world.leases.push({ id: leaseId, user: userIndex, nodeId: node.id });
  }
}

async function cancelBid(world: World): Promise<void> {
  if (world.bids.length === 0) return;
  const bid = world.random.pick(world.bids);
  const user = world.random.chance(0.1) ? world.random.pick(world.users) : world.users[bid.user]!;
  await world.request("DELETE", `/v1/nodes/${bid.nodeId}/bids/${bid.id}`, {
    key: user.key,
    label: "cancel bid",
  });
}

async function endLease(world: World): Promise<void> {
  if (world.leases.length === 0) return;
  const lease = world.random.pick(world.leases);
  const user = world.random.chance(0.1) ? world.random.pick(world.users) : world.users[lease.user]!;
  await world.request("DELETE", `/v1/leases/${lease.id}`, { key: user.key, label: "end lease" });
}

async function capacityRequest(world: World, retries: PendingCall[], userIndex: number): Promise<void> {
  const user = world.users[userIndex]!;
  const response = await send(world, retries, "capacity request", "POST", "/v1/capacity-requests", user.key, {
    slices: world.random.between(1, 3),
    requirements: { minMemGb: world.random.pick(["1", "2", "4"]) },
    durationHours: world.random.pick([1, 12, 48]),
    maxPriceCcPerSliceHour: world.random.pick(["0.05", "0.2", "1"]),
    budget: String(world.random.between(1, 200)),
    deadlineInHours: world.random.between(1, 6),
    acceptCheapestAtDeadline: world.random.chance(0.5),
  });
  const id = field(response, "id");
  if (id !== null && ok(response)) world.capacityRequests.push({ id, user: userIndex });
}

async function offer(world: World, retries: PendingCall[]): Promise<void> {
  if (world.capacityRequests.length === 0 || world.nodes.length === 0) return;
  const request = world.random.pick(world.capacityRequests);
  const node = world.random.pick(world.nodes);
  const response = await send(
    world,
    retries,
    "offer",
    "POST",
    `/v1/capacity-requests/${request.id}/offers`,
    world.farmers[node.farmer]!.key,
    {
      nodeId: node.id,
      priceCcPerSliceHour: world.random.pick(["0.02", "0.1", "0.3"]),
    },
  );
  const id = field(response, "id");
  if (id !== null && ok(response)) world.offers.push({ id, requestId: request.id, user: request.user });
}

async function acceptOffer(world: World, retries: PendingCall[]): Promise<void> {
  if (world.offers.length === 0) return;
  const chosen = world.random.pick(world.offers);
  const response = await send(
    world,
    retries,
    "accept offer",
    "POST",
    `/v1/capacity-requests/${chosen.requestId}/accept`,
    world.users[chosen.user]!.key,
    {
      offerId: chosen.id,
    },
  );
  // The answer is the lease itself.
  const leaseId = field(response, "id");
  const nodeId = field(response, "nodeId");
  if (leaseId !== null && nodeId !== null && ok(response))
    world.leases.push({ id: leaseId, user: chosen.user, nodeId });
}

// ── pools and exit rounds ──────────────────────────────────────────────────────────────────

async function contribute(world: World, retries: PendingCall[]): Promise<void> {
  const pool = world.pools[0];
  if (pool === undefined) return;
  const lp = world.random.pick(world.lps);
  const response = await send(
    world,
    retries,
    "contribute",
    "POST",
    `/v1/pools/${pool.id}/positions`,
    lp.key,
    {
      asset: "USDC",
      amount: String(world.random.between(10, 2_000)),
      accountId: lp.accounts.USDC,
    },
  );
  if (ok(response)) {
    // Time in the pool weighs the margin; no clock moves it, so the pool's positions are aged.
    await world.service.client.execute({
      sql: "UPDATE pool_positions SET contributed_at = contributed_at - ? WHERE pool_id = ?",
      args: [world.random.between(1, 48) * hourMs, pool.id],
    });
  }
}

async function auctionBid(world: World, retries: PendingCall[], roundId: string): Promise<void> {
  const bidder = world.random.pick(world.users);
  const response = await send(
    world,
    retries,
    "exit bid",
    "POST",
    `/v1/auctions/${roundId}/bids`,
    bidder.key,
    {
      amount: String(world.random.between(1, 200)),
      minPrice: world.random.pick(["0.01", "0.02", "0.03", "0.04", "0.06"]),
      accountId: bidder.accounts.TFP,
      payoutAccountId: bidder.accounts.USDC,
    },
  );
  const id = field(response, "id");
  if (id !== null && ok(response)) world.auctionBids.push({ id, roundId, actor: bidder });
}

/**
 * An exit round from open to settled in one move: the round has no clock hook, so it is opened to
 * close a moment ahead in real time, takes its bids at once, and is then polled until its alarm
 * settles it (the only real wait in the simulation; see the report).
 */
async function exitRound(world: World, retries: PendingCall[]): Promise<void> {
  const pool = world.pools[0];
  if (pool === undefined) return;
  const opened = await world.request("POST", "/v1/auctions", {
    key: world.admin.key,
    body: { poolId: pool.id, closesAt: new Date(Date.now() + roundOpenMs).toISOString() },
    headers: { "idempotency-key": world.nextId("idem") },
    label: "open round",
  });
  const roundId = field(opened, "id");
  if (roundId === null || !ok(opened)) return;
  world.rounds.push({ id: roundId, poolId: pool.id });
  for (let index = 0, count = world.random.between(1, 4); index < count; index++)
    await auctionBid(world, retries, roundId);
  if (world.auctionBids.length > 0 && world.random.chance(0.3)) {
    const bid = world.random.pick(
      world.auctionBids.filter((entry) => entry.roundId === roundId).concat(world.auctionBids.slice(-1)),
    );
    await world.request("DELETE", `/v1/auctions/${bid.roundId}/bids/${bid.id}`, {
      key: bid.actor.key,
      label: "cancel exit bid",
    });
  }
  for (let poll = 0; poll < roundPollsMax; poll++) {
    await new Promise((resolve) => setTimeout(resolve, roundPollIntervalMs));
    const row = await world.service.client.execute({
      sql: "SELECT state FROM auction_rounds WHERE id = ?",
      args: [roundId],
    });
    const state = String(row.rows[0]?.state ?? "");
    if (state === "settled" || state === "void") {
      world.note(`round ${roundId} ${state}`);
      return;
    }
  }
  world.note(`round ${roundId} not settled after ${roundPollsMax} polls`);
}

// ── time, cron, oracle, faults ─────────────────────────────────────────────────────────────

export async function runCron(world: World): Promise<void> {
  const worker = await world.service.mf.getWorker("main");
  try {
    const result = await worker.scheduled({ cron: "*/5 * * * *" });
    world.note(`cron → ${result.outcome}`);
  } catch (error) {
    world.note(`cron lost: ${String(error).slice(0, 120)}`);
  }
}

async function driver(world: World, input: Record<string, unknown>): Promise<unknown> {
  try {
    const driverWorker = await world.service.mf.getWorker("driver");
    const answer = await driverWorker.fetch("http://driver/", {
      method: "POST",
      body: JSON.stringify(input),
    });
    return await answer.json();
  } catch (error) {
    return { ok: false, lost: String(error).slice(0, 120) };
  }
}

/**
 * Lets time pass: the service's clock moves 1–6 hours, then the money pass runs on some nodes'
 * books (what their alarms do), sometimes twice (an alarm fired twice), sometimes not at all until
 * a later move (a late alarm).
 */
async function advanceTime(world: World): Promise<void> {
  if (world.nodes.length === 0) return;
  const hours = world.random.between(1, 6);
  const shifted = await world.service.shiftClock(hours * hourMs);
  world.note(`clock +${hours} h (${shifted ? "shifted" : "shift lost"})`);
  const nodes = world.nodes.filter(() => world.random.chance(0.7));
  for (const node of nodes) {
    const runs = world.random.weighted({ late: 1, once: 6, twice: 2 });
    const times = runs === "late" ? 0 : runs === "once" ? 1 : 2;
    for (let run = 0; run < times; run++) await driver(world, { op: "settle", nodeId: node.id });
    world.note(`node ${node.id}: money pass ×${times}`);
  }
}

async function moveOracle(world: World): Promise<void> {
  const feeds = world.service.feeds;
  const move = world.random.weighted({ drift: 5, sourceMode: 3, stale: 1, manual: 1, cron: 4 });
  if (move === "drift") {
    const gold = Number(feeds.price.gold) * (1 + (world.random.next() - 0.5) * 0.1);
    const tft = Number(feeds.price.tft) * (1 + (world.random.next() - 0.5) * 0.4);
    feeds.price.gold = gold.toFixed(4);
    feeds.price.tft = Math.min(0.2, Math.max(0.01, tft)).toFixed(5);
    world.note(`feeds gold ${feeds.price.gold} tft ${feeds.price.tft}`);
    await runCron(world);
  } else if (move === "sourceMode") {
    const source = `${world.random.pick(["gold", "tft"])}/${world.random.int(2)}`;
    feeds.modes[source] = world.random.pick(["ok", "ok", "down", "stale"] as const);
    world.note(`feed ${source} ${feeds.modes[source]}`);
    await runCron(world);
  } else if (move === "stale") {
    // The Worker's clock cannot be moved, so the oracle is aged instead: its rounds move 30 days back.
    const kind = world.random.pick(["gold", "tft"]);
    await world.service.client.execute({
      sql: "UPDATE price_rounds SET created_at = created_at - ?, expires_at = CASE WHEN expires_at IS NULL THEN NULL ELSE expires_at - ? END WHERE kind = ?",
      args: [30 * 24 * hourMs, 30 * 24 * hourMs, kind],
    });
    world.note(`oracle ${kind} aged 30 days (halted until a new round)`);
  } else if (move === "manual") {
    const kind = world.random.pick(["gold", "tft"] as const);
    await world.request("POST", "/v1/prices/manual", {
      key: world.admin.key,
      body: {
        kind,
        priceUsd: kind === "gold" ? feeds.price.gold : feeds.price.tft,
        reason: "sim: sources down",
        expiresAt: new Date(Date.now() + world.random.between(1, 48) * hourMs).toISOString(),
      },
      label: "manual price",
    });
  } else {
    await runCron(world);
  }
}

// ── one step ───────────────────────────────────────────────────────────────────────────────

export const actionWeights = {
  buyCard: 6,
  deliver: 10,
  duplicate: 3,
  forge: 2,
  refund: 1,
  deposit: 4,
  convert: 4,
  withdraw: 2,
  bridgeOutcome: 2,
  registerNode: 1,
  farmer: 8,
  reserve: 7,
  bid: 6,
  cancelBid: 2,
  endLease: 2,
  capacityRequest: 2,
  offer: 2,
  acceptOffer: 2,
  contribute: 2,
  exitRound: 1,
  time: 5,
  oracle: 3,
  cron: 2,
  retry: 3,
} as const;
export type ActionName = keyof typeof actionWeights;

/** Runs one named action; `valid` false makes input-taking moves send something wrong. */
export async function act(world: World, retries: PendingCall[], action: ActionName): Promise<void> {
  const random = world.random;
  const userIndex = random.int(world.users.length);
  const valid = random.chance(0.85);
  switch (action) {
    case "buyCard":
      return buyByCard(world, retries, userIndex, valid);
    case "deliver":
      return deliverOne(world, random.int(Math.max(1, world.outbox.length)), random.chance(0.3));
    case "duplicate": {
      if (world.delivered.length === 0) return;
      const event = random.pick(world.delivered);
      const response = await deliver(world, event, "signed");
      if (
        response.status >= 400 &&
        response.status < 500 &&
        response.status !== 422 &&
        response.status !== 409
      ) {
        world.note(`duplicate ${event.label} refused ${response.status}`);
      }
      return;
    }
    case "forge":
      return forge(world);
    case "refund":
      return refund(world);
    case "deposit":
      return depositTft(world, userIndex, valid);
    case "convert":
      return random.chance(0.8)
        ? convert(world, retries, userIndex, valid)
        : executeConversion(world, retries);
    case "withdraw":
      return withdraw(world, retries, userIndex);
    case "bridgeOutcome":
      return bridgeOutcome(world);
    case "registerNode":
      return registerNode(world, retries, random.int(world.farmers.length));
    case "farmer":
      return farmerMove(world, retries);
    case "reserve":
      return reserve(world, retries, userIndex, valid);
    case "bid":
      return placeBid(world, retries, userIndex, valid);
    case "cancelBid":
      return cancelBid(world);
    case "endLease":
      return endLease(world);
    case "capacityRequest":
      return capacityRequest(world, retries, userIndex);
    case "offer":
      return offer(world, retries);
    case "acceptOffer":
      return acceptOffer(world, retries);
    case "contribute":
      return contribute(world, retries);
    case "exitRound":
      return exitRound(world, retries);
    case "time":
      return advanceTime(world);
    case "oracle":
      return moveOracle(world);
    case "cron":
      return runCron(world);
    case "retry":
      if (retries.length > 0) await retryOne(world, retries, 0);
      return;
  }
}
