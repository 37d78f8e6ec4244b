/**
 * A reservation (NodeBidBook `reserve`), run inside the book's queue of changes: check the book,
 * hold the payer's CC for the prepaid window (`hold_<leaseId>_0`), then commit the transition it
 * checked, so a refusal writes nothing and the check still holds when the hold is written.
 */
import type { InStatement } from "@libsql/client";
import { now } from "../../kit/clock";
import { isUnknownOutcome } from "../../kit/db/client";
import { idempotencyRecordStatement } from "../../kit/db/idempotency";
import { invariant } from "../../kit/errors";
import { leaseHoldId } from "../../kit/ids";
import { fail, ok, type Result } from "../../kit/result";
import { type HoldRequest, loadHolds, placeHold, releaseHold } from "../../ledger/holds";
import { type BidBook, reserve, reservePackage, type Transition } from "../core/bidbook";
import { type LeaseQuote, quoteLease } from "../core/quote";
import { chargeForUsage } from "../core/revenue";
import type { LeaseView } from "../core/views";
import { claimRefusal, claimResponse, claimStatements } from "../store/claims";
import type { BookContext } from "./context";
import { leaseJson, type ReservedLease, type ReserveInput } from "./contract";
import { cc, type Funding, type Intent, type NodeConfig } from "./storage";
import { leaseView, leaseViewOf } from "./views";

/**
 * The reservation itself; a repeat of a reservation already made returns its lease. The hold is
 * written with the lease's mirror rows and, when the request carries one, its Idempotency-Key
 * record, after an intent in the book's storage (see `Intent`): a book that stops before its
 * commit finishes the reservation (`recoverReservation`) before any other change.
 */
export async function reserveExclusive(
  book: BookContext,
  request: ReserveInput,
): Promise<Result<ReservedLease>> {
  const { state, db } = book;
  const current = state.requireBook();
  const existing = current.leases.find((lease) => lease.id === request.leaseId);
  if (existing) {
    const funding = state.funding.get(existing.id);
    if (funding?.payerAccountId === request.payerAccountId && existing.slices === request.slices) {
      return ok(leaseView(state, existing));
    }
    return fail("CONFLICT", `Lease id ${request.leaseId} is already used`, "leaseId");
  }
  const nowMs = now();
  const planned = plan(book, current, request, nowMs);
  if (!planned.ok) return planned;
  const { transition, funding, hold } = planned.value;
  const lease = transition.book.leases.find((candidate) => candidate.id === request.leaseId);
  invariant(lease !== undefined, "the reserved lease is missing");
  const view = leaseViewOf(current.nodeId, lease, funding);
  const mirror = book.mirror.ahead(
    transition.book,
    (other) => (other.id === lease.id ? view : leaseView(state, other)),
    nowMs,
    transition.events,
  );
  const intent: Intent = { id: `reserve_${request.leaseId}`, kind: "reserve", nowMs, request };
  state.putIntent(intent);
  const held = await placeHold(
    db,
    {
      ...hold,
      with: [...mirror.statements, ...claimOf(request, view, nowMs), ...recordOf(request, view, nowMs)],
    },
    nowMs,
  );
  // Refused by the ledger (say, insufficient funds) or the claim: it wrote nothing, so neither does the book.
  if (!held.ok) {
    state.settleIntent(intent.id, isUnknownOutcome(held) ? intent : null);
    return request.claim === undefined || isUnknownOutcome(held) ? held : claimRefusal(request.claim, held);
  }
  // Nothing changed the book while the hold was written: the checked transition still applies.
  invariant(state.book === current, "the book changed during a reservation's hold");
  state.commit(transition, {
    funding: [funding],
    extraEvents: [holdPlacedEvent(request, held.value.remainingMinor, hold.holdId, nowMs)],
    intent: { id: intent.id, rest: null },
    deployments: deploymentOf(request),
  });
  mirror.written();
  if (mirror.complete) state.mirrorDirty = false;
  return ok(request.record ? { ...view, recorded: true } : view);
}

/**
 * Finishes a reservation the book wrote to the ledger without committing (it stopped, or did not
 * learn the outcome): when its hold stands, the lease is reserved as it was checked — on the same
 * book, at the same time; the intent is dropped either way.
 */
export async function recoverReservation(
  book: BookContext,
  intent: Extract<Intent, { kind: "reserve" }>,
): Promise<void> {
  const { state, db } = book;
  const { request, nowMs } = intent;
  const current = state.requireBook();
  const holdId = leaseHoldId(request.leaseId, "reservation");
  const hold = (await loadHolds(db, [holdId])).get(holdId);
  const planned =
    hold?.status === "pending" && !current.leases.some((lease) => lease.id === request.leaseId)
      ? plan(book, current, request, nowMs)
      : null;
  console.warn(
    JSON.stringify({
      level: "warn",
      event: "reservation_intent_recovered",
      leaseId: request.leaseId,
      reserved: planned?.ok ?? false,
    }),
  );
  if (!planned?.ok) {
    if (hold?.status === "pending") {
      const released = await releaseHold(db, holdId, now());
      invariant(released.ok, () => `releasing ${holdId}: ${released.ok ? "" : released.code}`);
    }
    state.settleIntent(intent.id, null);
    return;
  }
  const { transition, funding } = planned.value;
  state.commit(transition, {
    funding: [funding],
    extraEvents: [holdPlacedEvent(request, hold!.remainingMinor, holdId, nowMs)],
    intent: { id: intent.id, rest: null },
    deployments: deploymentOf(request),
  });
}

/** The deployment document a reservation stores with its lease, if it carries one. */
function deploymentOf(request: ReserveInput): { leaseId: string; body: string }[] {
  return request.deployment === undefined ? [] : [{ leaseId: request.leaseId, body: request.deployment }];
}

/** What a reservation checked against `current` at `nowMs` commits, and the hold it needs. */
function plan(
  book: BookContext,
  current: BidBook,
  request: ReserveInput,
  nowMs: number,
): Result<{ transition: Transition; funding: Funding; hold: HoldRequest }> {
  const { state, market } = book;
  const quote = quoteOf(state.requireConfig(), request, market.parameters);
  if (!quote.ok) return quote;
  // Charged (and held) at the exact price; the book orders the lease by its floor.
  const exactPrice = quote.value.exactPriceCcPerSliceHour;
  const checked = tryReserve(current, request, quote.value.priceCcPerSliceHour, exactPrice, nowMs);
  if (!checked.ok) return checked;
  const coveredMs =
    request.durationMs === null
      ? market.prepaidWindowMs
      : Math.min(market.prepaidWindowMs, request.durationMs);
  const amountMinor = chargeForUsage(exactPrice, request.slices, coveredMs);
  const holdId = leaseHoldId(request.leaseId, "reservation");
  return ok({
    transition: checked.value,
    funding: fundingOf(request, quote.value, holdId),
    hold: {
      holdId,
      payerAccountId: request.payerAccountId,
      amountMinor: amountMinor > 0n ? amountMinor : 1n,
      timeoutMs: coveredMs + market.holdSlackMs,
      code: request.kind === "package" ? "package_lease_hold" : "lease_hold",
      metadata: { leaseId: request.leaseId, nodeId: request.nodeId },
    },
  });
}

/** The new lease's answer, stored with its hold when the request has a record (nothing charged yet). */
function recordOf(request: ReserveInput, view: LeaseView, nowMs: number): InStatement[] {
  if (!request.record) return [];
  const body = claimResponse(request.claim, leaseJson(view, 0n));
  return [idempotencyRecordStatement(request.record, JSON.stringify(body), nowMs)];
}

/** What the reservation claims beside its lease, written with its hold (none without a claim). */
function claimOf(request: ReserveInput, view: LeaseView, nowMs: number): InStatement[] {
  if (!request.claim) return [];
  const lease = {
    leaseId: view.id,
    nodeId: view.nodeId,
    slices: view.slices,
    priceCcPerSliceHour: view.priceCcPerSliceHour,
  };
  return claimStatements(request.claim, lease, nowMs);
}

function holdPlacedEvent(request: ReserveInput, remainingMinor: bigint, holdId: string, nowMs: number) {
  return {
    type: "hold_placed",
    leaseId: request.leaseId,
    atMs: nowMs,
    detail: `${cc(remainingMinor)} CC held from ${request.payerAccountId} (${holdId})`,
    details: { amountCc: cc(remainingMinor), accountId: request.payerAccountId, holdId },
  };
}

/** A lease's price and, for a listed price, how it was quoted. */
type Quoted = {
  priceCcPerSliceHour: string;
  exactPriceCcPerSliceHour: string;
  quotedPrice: string | null;
  quotedCurrency: LeaseQuote["quotedCurrency"] | null;
  quotedCcUsd: string | null;
};

/** The lease's price: the fixed one it was offered at, or the node's listed price at the peg. */
function quoteOf(
  config: NodeConfig,
  request: ReserveInput,
  parameters: Parameters<typeof quoteLease>[3],
): Result<Quoted> {
  if (request.pricing.type === "fixed") {
    return ok({
      priceCcPerSliceHour: request.pricing.priceCcPerSliceHour,
      exactPriceCcPerSliceHour:
        request.pricing.exactPriceCcPerSliceHour ?? request.pricing.priceCcPerSliceHour,
      quotedPrice: null,
      quotedCurrency: null,
      quotedCcUsd: null,
    });
  }
  const band = {
    currency: config.currency,
    pricePerSliceMonth: config.pricePerSliceMonth,
    pricePerSliceHour: config.pricePerSliceHour,
  };
  return quoteLease(band, request.durationMs, request.pricing.ccUsd, parameters);
}

/** Runs the reservation on `book` at `price`, for on-demand (listed) or package leases. */
function tryReserve(
  book: BidBook,
  input: ReserveInput,
  priceCcPerSliceHour: string,
  exactPriceCcPerSliceHour: string,
  nowMs: number,
): Result<Transition> {
  const common = {
    leaseId: input.leaseId,
    accountId: input.payerAccountId,
    slices: input.slices,
    durationMs: input.durationMs,
    nowMs,
    exactPriceCcPerSliceHour,
  };
  if (input.kind === "package") return reservePackage(book, { ...common, priceCcPerSliceHour });
  // The lease's price is fixed at its start; the book's listed price stays as it is.
  const reserved = reserve({ ...book, listedPriceCcPerSliceHour: priceCcPerSliceHour }, common);
  if (!reserved.ok) return reserved;
  return ok({
    book: { ...reserved.value.book, listedPriceCcPerSliceHour: book.listedPriceCcPerSliceHour },
    events: reserved.value.events,
  });
}

function fundingOf(request: ReserveInput, quote: Quoted, holdId: string): Funding {
  return {
    id: request.leaseId,
    ownerId: request.ownerId,
    payerAccountId: request.payerAccountId,
    source: request.source,
    sourceId: request.sourceId,
    quotedPrice: quote.quotedPrice,
    quotedCurrency: quote.quotedCurrency,
    quotedCcUsd: quote.quotedCcUsd,
    holdIds: [holdId],
    topUpFailedAt: null,
    lastFailure: null,
  };
}
