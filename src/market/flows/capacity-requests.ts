/**
 * Capacity requests, the reverse auction (§16): a user posts what each slice must offer, how many
 * slices, for how long, the highest price and the budget; farmers whose nodes match offer a price
 * until the deadline; the user accepts one, or — if they asked for it — the cheapest matching
 * offer is taken at the deadline by the market cron. Acceptance reserves the slices on the node at
 * the offer's price, as an on-demand lease (`lse_<offerId>`) paid like any other.
 *
 * An acceptance is one write: the lease's hold, the request's move to `accepted`, the offers'
 * outcome and the farmer's event go in one batch (src/market/store/claims.ts), and the database
 * refuses the batch when the request is no longer open (migrations/0011_claim_guards.sql), so two
 * acceptances can never make two leases and a refused one leaves everything as it was. The same
 * offer may be retried (the bid book answers a repeated lease id with the lease). At the deadline
 * the cron marks an offer `failed` when its node refused it (its slices went, it is offline or
 * full), since it can no longer be kept. `accepting` is the status an earlier version held a
 * request in while it asked the book; such a request is accepted for that offer only, or expires.
 */

import type { Client, InStatement, ResultSet, Row } from "@libsql/client";
import { now } from "../../kit/clock";
import { eventStatements } from "../../kit/db/events";
import type { RecordedResponse } from "../../kit/db/idempotency";
import { decodeRow } from "../../kit/db/rows";
import * as tables from "../../kit/db/schema";
import type { ErrorCode } from "../../kit/errors";
import { fail, ok, type Result } from "../../kit/result";
import { hourMs } from "../config";
import { requirementsFromStored, type SliceRequirements } from "../core/requirements";
import type { ReservedLease } from "../object/contract";
import { claimStatements } from "../store/claims";
import { bookOf } from "./books";

/** Refusals of a reservation that say the offer's node cannot keep it: the offer is marked failed. */
const nodeRefusals: ReadonlySet<ErrorCode> = new Set([
  "SLICES_UNAVAILABLE",
  "NODE_UNAVAILABLE",
  "LIMIT_REACHED",
]);

/** Most offers one request takes. */
export const offersPerRequestMax = 50;
/** Most open requests one owner may have. */
export const openRequestsPerOwnerMax = 20;
/** Requests closed per cron run. */
export const deadlinesPerRunMax = 50;

export type CapacityRequestStatus = "open" | "accepting" | "accepted" | "expired" | "cancelled";

export type CapacityRequest = {
  id: string;
  ownerId: string;
  accountId: string;
  slices: number;
  requirements: SliceRequirements;
  durationHours: number;
  maxPriceCcPerSliceHour: string;
  budgetMinor: bigint;
  deadlineAtMs: number;
  acceptCheapestAtDeadline: boolean;
  status: CapacityRequestStatus;
  acceptingOfferId: string | null;
  leaseId: string | null;
  createdAtMs: number;
  updatedAtMs: number;
};

export type CapacityOffer = {
  id: string;
  requestId: string;
  nodeId: string;
  farmerId: string;
  priceCcPerSliceHour: string;
  status: "open" | "accepted" | "failed" | "lost";
  detail: string | null;
  createdAtMs: number;
};

function requestFromRow(row: Row): CapacityRequest {
  const { requirements, maxPriceCc, acceptCheapestAtDeadline, ...request } = decodeRow(
    tables.capacityRequests,
    row,
  );
  return {
    ...request,
    requirements: requirementsFromStored(requirements),
    maxPriceCcPerSliceHour: maxPriceCc,
    acceptCheapestAtDeadline: acceptCheapestAtDeadline === 1,
  };
}

function offerFromRow(row: Row): CapacityOffer {
  const { priceCc, pricePico: _pricePico, ...offer } = decodeRow(tables.capacityOffers, row);
  return { ...offer, priceCcPerSliceHour: priceCc };
}

/**
 * Stores a new request, unless its owner already has `openRequestsPerOwnerMax` open ones
 * (LIMIT_REACHED); the count and the insert are one statement.
 */
export async function insertRequest(
  client: Client,
  request: CapacityRequest,
): Promise<Result<CapacityRequest>> {
  const result = await client.execute({
    sql: `INSERT INTO capacity_requests (id, owner_id, account_id, slices, requirements, duration_hours, max_price_cc,
            budget_minor, deadline_at, accept_cheapest_at_deadline, status, accepting_offer_id, lease_id, created_at, updated_at)
          SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', NULL, NULL, ?, ?
          WHERE (SELECT count(*) FROM capacity_requests WHERE owner_id = ? AND status IN ('open', 'accepting')) < ?`,
    args: [
      request.id,
      request.ownerId,
      request.accountId,
      request.slices,
      JSON.stringify(request.requirements),
      request.durationHours,
      request.maxPriceCcPerSliceHour,
      request.budgetMinor,
      request.deadlineAtMs,
      request.acceptCheapestAtDeadline ? 1 : 0,
      request.createdAtMs,
      request.updatedAtMs,
      request.ownerId,
      openRequestsPerOwnerMax,
    ],
  });
  if (result.rowsAffected === 0) {
    return fail("LIMIT_REACHED", `At most ${openRequestsPerOwnerMax} open capacity requests per owner`);
  }
  return ok(request);
}

export async function getRequest(client: Client, id: string): Promise<CapacityRequest | null> {
  return requestFrom(await client.execute(requestStatement(id)));
}

/** The read of `getRequest`, to batch with others. */
export function requestStatement(id: string): InStatement {
  return { sql: "SELECT * FROM capacity_requests WHERE id = ?", args: [id] };
}

/** The request `requestStatement` read, or null. */
export function requestFrom(result: ResultSet | undefined): CapacityRequest | null {
  const row = result?.rows[0];
  return row ? requestFromRow(row) : null;
}

/** Requests newest first: an owner's own, or (ownerId null) every open one; `before` is a created-at cursor. */
export async function listRequests(
  client: Client,
  options: {
    ownerId: string | null;
    status: CapacityRequestStatus | null;
    limit: number;
    beforeMs: number | null;
  },
): Promise<CapacityRequest[]> {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (options.ownerId !== null) {
    where.push("owner_id = ?");
    args.push(options.ownerId);
  }
  if (options.status !== null) {
    where.push("status = ?");
    args.push(options.status);
  }
  if (options.beforeMs !== null) {
    where.push("created_at < ?");
    args.push(options.beforeMs);
  }
  const result = await client.execute({
    sql: `SELECT * FROM capacity_requests ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
          ORDER BY created_at DESC, id DESC LIMIT ?`,
    args: [...args, options.limit],
  });
  return result.rows.map(requestFromRow);
}

/** A request's offers, cheapest first (ties: earliest). */
export async function listOffers(client: Client, requestId: string): Promise<CapacityOffer[]> {
  return offersFrom(await client.execute(offersStatement(requestId)));
}

/** The read of `listOffers`, to batch with others. */
export function offersStatement(requestId: string): InStatement {
  return {
    sql: "SELECT * FROM capacity_offers WHERE request_id = ? ORDER BY price_pico, created_at, id LIMIT ?",
    args: [requestId, offersPerRequestMax],
  };
}

/** The offers `offersStatement` read. */
export function offersFrom(result: ResultSet | undefined): CapacityOffer[] {
  return (result?.rows ?? []).map(offerFromRow);
}

export async function getOffer(client: Client, id: string): Promise<CapacityOffer | null> {
  return offerFrom(await client.execute(offerStatement(id)));
}

/** The read of `getOffer`, to batch with others. */
export function offerStatement(id: string): InStatement {
  return { sql: "SELECT * FROM capacity_offers WHERE id = ?", args: [id] };
}

/** The offer `offerStatement` read, or null. */
export function offerFrom(result: ResultSet | undefined): CapacityOffer | null {
  const row = result?.rows[0];
  return row ? offerFromRow(row) : null;
}

/** The `capacity_request.offer_received` event of an offer, for the request's owner, if the offer was stored. */
function offerReceivedEvent(offer: CapacityOffer, nowMs: number): InStatement[] {
  return eventStatements(
    {
      sourceId: offer.id,
      type: "capacity_request.offer_received",
      owner: { ownerSql: "SELECT owner_id FROM capacity_requests WHERE id = ?", args: [offer.requestId] },
      subjectId: offer.requestId,
      atMs: offer.createdAtMs,
      data: {
        requestId: offer.requestId,
        offerId: offer.id,
        nodeId: offer.nodeId,
        priceCcPerSliceHour: offer.priceCcPerSliceHour,
      },
      onlyIf: { sql: "EXISTS (SELECT 1 FROM capacity_offers WHERE id = ?)", args: [offer.id] },
    },
    nowMs,
  );
}

/**
 * Stores an offer while the request is open and before its deadline, within
 * `offersPerRequestMax` offers, one per node (CONFLICT for a second offer from the same node).
 */
export async function insertOffer(
  client: Client,
  offer: CapacityOffer,
  pricePico: bigint,
  nowMs: number,
): Promise<Result<CapacityOffer>> {
  let inserted: number;
  try {
    const [result] = await client.batch(
      [
        {
          sql: `INSERT INTO capacity_offers (id, request_id, node_id, farmer_id, price_cc, price_pico, status, detail, created_at)
            SELECT ?, ?, ?, ?, ?, ?, 'open', NULL, ?
            WHERE EXISTS (SELECT 1 FROM capacity_requests WHERE id = ? AND status = 'open' AND deadline_at > ?)
              AND (SELECT count(*) FROM capacity_offers WHERE request_id = ?) < ?`,
          args: [
            offer.id,
            offer.requestId,
            offer.nodeId,
            offer.farmerId,
            offer.priceCcPerSliceHour,
            pricePico,
            offer.createdAtMs,
            offer.requestId,
            nowMs,
            offer.requestId,
            offersPerRequestMax,
          ],
        },
        ...offerReceivedEvent(offer, nowMs),
      ],
      "write",
    );
    inserted = result?.rowsAffected ?? 0;
  } catch (error) {
    if (String(error).includes("UNIQUE")) {
      return fail("CONFLICT", "This node has already made an offer on this request", "nodeId");
    }
    throw error;
  }
  if (inserted === 1) return ok(offer);
  const request = await getRequest(client, offer.requestId);
  if (request?.status !== "open" || request.deadlineAtMs <= nowMs) {
    return fail("CONFLICT", "The request no longer takes offers");
  }
  return fail("LIMIT_REACHED", `A request takes at most ${offersPerRequestMax} offers`);
}

/** How an acceptance is made: by the requester through the API (with its key's record), or by the cron. */
export type AcceptOptions = {
  /** The Idempotency-Key's record, stored with the lease's hold. */
  record?: RecordedResponse;
  /** Marks the offer failed when its node refuses it (the cron's deadline pass; a request refused writes nothing). */
  markRefusedOffer?: boolean;
};

/**
 * Accepts one offer (see the module comment): reserves the slices at the offer's price for the
 * request's duration, paid from the request's account, with the request's acceptance written in
 * the lease's hold batch. Returns the lease (and whether the record was stored), or why not.
 */
export async function acceptOffer(
  env: Env,
  client: Client,
  request: CapacityRequest,
  offer: CapacityOffer,
  options: AcceptOptions = {},
): Promise<Result<ReservedLease>> {
  if (offer.requestId !== request.id) return fail("NOT_FOUND", "No such offer on this request", "offerId");
  const leaseId = `lse_${offer.id}`;
  const book = bookOf(env, offer.nodeId);
  if (request.status === "accepted" && request.leaseId === leaseId) {
    // Accepted before (under another key, or by the cron): the same lease.
    return book.getLease({ nodeId: offer.nodeId, leaseId });
  }
  if (request.status !== "open" && request.status !== "accepting") {
    return fail("CONFLICT", `The request is ${request.status}`);
  }
  if (offer.status !== "open") {
    return fail(
      "CONFLICT",
      `This offer is ${offer.status}${offer.detail ? `: ${offer.detail}` : ""}`,
      "offerId",
    );
  }
  const claim = {
    type: "capacityAcceptance" as const,
    requestId: request.id,
    offerId: offer.id,
    farmerId: offer.farmerId,
  };
  const reserved = await book.reserve({
    nodeId: offer.nodeId,
    leaseId,
    ownerId: request.ownerId,
    payerAccountId: request.accountId,
    kind: "onDemand",
    slices: request.slices,
    durationMs: request.durationHours * hourMs,
    pricing: { type: "fixed", priceCcPerSliceHour: offer.priceCcPerSliceHour },
    source: "capacity_request",
    sourceId: request.id,
    claim,
    ...(options.record === undefined ? {} : { record: options.record }),
  });
  if (reserved.ok && request.status === "accepting" && !reserved.value.recorded) {
    // An earlier version reserved this lease and stopped before it recorded the acceptance (the
    // book answered the lease it has, writing nothing): record it now, once.
    const lease = { ...reserved.value, leaseId: reserved.value.id };
    await client.batch(claimStatements(claim, lease, now(), true), "write");
  }
  if (!reserved.ok && options.markRefusedOffer && nodeRefusals.has(reserved.code)) {
    await client.execute({
      sql: "UPDATE capacity_offers SET status = 'failed', detail = ? WHERE id = ? AND status = 'open'",
      args: [`${reserved.code}: ${reserved.detail}`.slice(0, 500), offer.id],
    });
  }
  return reserved;
}

/**
 * The cron step: requests past their deadline. Those that asked for it take their cheapest offer
 * that can still be reserved (cheapest first, each refusal marks that offer failed); a request
 * left in `accepting` by an interrupted acceptance retries that offer; the rest expire.
 */
export async function closeDueRequests(
  env: Env,
  client: Client,
  nowMs: number,
): Promise<{ accepted: number; expired: number }> {
  const due = await client.execute({
    sql: "SELECT * FROM capacity_requests WHERE status IN ('open', 'accepting') AND deadline_at <= ? ORDER BY deadline_at LIMIT ?",
    args: [nowMs, deadlinesPerRunMax],
  });
  let accepted = 0;
  let expired = 0;
  for (const row of due.rows) {
    const request = requestFromRow(row);
    let done = false;
    const offers = await listOffers(client, request.id);
    const candidates =
      request.status === "accepting"
        ? offers.filter((offer) => offer.id === request.acceptingOfferId)
        : request.acceptCheapestAtDeadline
          ? offers.filter((offer) => offer.status === "open")
          : [];
    for (const offer of candidates) {
      const result = await acceptOffer(env, client, request, offer, { markRefusedOffer: true });
      if (result.ok) {
        done = true;
        accepted += 1;
        break;
      }
    }
    if (!done) {
      const closed = await client.execute({
        sql: "UPDATE capacity_requests SET status = 'expired', accepting_offer_id = NULL, updated_at = ? WHERE id = ? AND status IN ('open', 'accepting')",
        args: [nowMs, request.id],
      });
      expired += closed.rowsAffected;
    }
  }
  return { accepted, expired };
}
