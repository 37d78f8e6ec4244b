/**
 * A reservation (NodeBidBook `reserve`), run inside the book's queue of changes: check the book,
 * hold the payer's CC for the prepaid window (`hold_<leaseId>_0`), then commit the transition it
 * checked, so a refusal writes nothing and the check still holds when the hold is written.
 */
import { now } from "../../kit/clock";
import { invariant } from "../../kit/errors";
import { leaseHoldId } from "../../kit/ids";
import { fail, ok, type Result } from "../../kit/result";
import { placeHold } from "../../ledger/holds";
import { type BidBook, reserve, reservePackage, type Transition } from "../core/bidbook";
import { type LeaseQuote, quoteLease } from "../core/quote";
import { chargeForUsage } from "../core/revenue";
import type { LeaseView } from "../core/views";
import type { BookContext } from "./context";
import type { ReserveInput } from "./contract";
import { cc, type Funding, type NodeConfig } from "./storage";
import { leaseView } from "./views";

/** The reservation itself; a repeat of a reservation already made returns its lease. */
export async function reserveExclusive(book: BookContext, request: ReserveInput): Promise<Result<LeaseView>> {
  const { state, db, market } = book;
  const current = state.requireBook();
  const existing = current.leases.find((lease) => lease.id === request.leaseId);
  if (existing) {
    const funding = state.funding.get(existing.id);
    if (funding?.payerAccountId === request.payerAccountId && existing.slices === request.slices) {
      return ok(leaseView(state, existing));
    }
    return fail("CONFLICT", `Lease id ${request.leaseId} is already used`, "leaseId");
  }
  const quote = quoteOf(state.requireConfig(), request, market.parameters);
  if (!quote.ok) return quote;
  // Charged (and held) at the exact price; the book orders the lease by its floor.
  const exactPrice = quote.value.exactPriceCcPerSliceHour;
  const nowMs = now();
  const checked = tryReserve(current, request, quote.value.priceCcPerSliceHour, exactPrice, nowMs);
  if (!checked.ok) return checked;
  const coveredMs =
    request.durationMs === null
      ? market.prepaidWindowMs
      : Math.min(market.prepaidWindowMs, request.durationMs);
  const amountMinor = chargeForUsage(exactPrice, request.slices, coveredMs);
  const holdId = leaseHoldId(request.leaseId, "reservation");
  const held = await placeHold(
    db,
    {
      holdId,
      payerAccountId: request.payerAccountId,
      amountMinor: amountMinor > 0n ? amountMinor : 1n,
      timeoutMs: coveredMs + market.holdSlackMs,
      code: request.kind === "package" ? "package_lease_hold" : "lease_hold",
      metadata: { leaseId: request.leaseId, nodeId: request.nodeId },
    },
    nowMs,
  );
  // Refused by the ledger (say, insufficient funds): it wrote nothing, so neither does the book.
  if (!held.ok) return held;
  // Nothing changed the book while the hold was written: the checked transition still applies.
  invariant(state.book === current, "the book changed during a reservation's hold");
  state.commit(checked.value, {
    funding: [fundingOf(request, quote.value, holdId)],
    extraEvents: [
      {
        type: "hold_placed",
        leaseId: request.leaseId,
        atMs: nowMs,
        detail: `${cc(held.value.remainingMinor)} CC held from ${request.payerAccountId} (${holdId})`,
        details: { amountCc: cc(held.value.remainingMinor), accountId: request.payerAccountId, holdId },
      },
    ],
  });
  const lease = state.requireBook().leases.find((candidate) => candidate.id === request.leaseId);
  invariant(lease !== undefined, "the reserved lease is missing");
  return ok(leaseView(state, lease));
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
