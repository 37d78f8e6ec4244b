/** Lease, bid and event shapes as the API shows them, and the payer-account lookup they share. */
import { z } from "@hono/zod-openapi";
import type { Client, InStatement, ResultSet } from "@libsql/client";
import type { Principal } from "../../kit/auth";
import { ApiError } from "../../kit/http/errors";
import { accountFrom, accountStatement, ownerAccountStatement } from "../../ledger/accounts";
import { formatAmount } from "../../ledger/core/money";
import type { EventDetails } from "../../market/core/bidbook/model";
import type { EventView } from "../../market/object/contract";

export { bidJson, leaseJson } from "../../market/object/contract";

import type { LeaseRow } from "../../market/store/leases";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const leaseIdParamSchema = z
  .string()
  .regex(/^lse_[A-Za-z0-9_]{1,100}$/, "must look like lse_…")
  .openapi({ param: { name: "id", in: "path" }, example: "lse_3f9a0c7Qm2Xr9LtK4pZsWd" });

export const leaseSchema = z
  .object({
    id: z.string(),
    nodeId: z.string(),
    ownerId: z.string(),
    payerAccountId: z.string(),
    kind: z.enum(["onDemand", "interruptible", "package"]),
    source: z.enum(["reservation", "bid", "capacity_request", "package"]),
    sourceId: z.string().nullable(),
    slices: z.number().int(),
    priceCcPerSliceHour: z
      .string()
      .openapi({ description: "Fixed for the lease's life.", example: "0.078125" }),
    quoted: z
      .object({ price: z.string(), currency: z.enum(["USD", "CC"]), ccUsd: z.string().nullable() })
      .nullable()
      .openapi({ description: "The listed price per slice-hour the CC price came from, and the peg used." }),
    startedAt: z.string(),
    endsAt: z
      .string()
      .nullable()
      .openapi({ description: "Planned end, or the actual end once ended; null: open-ended." }),
    status: z.enum(["running", "paused", "ended"]),
    pausedReason: z
      .enum(["preempted", "insufficient_funds", "node_offline", "provisioning", "failed"])
      .nullable()
      .openapi({
        description:
          "Why a paused lease is paused. `provisioning`: on a node with an agent, waiting for the agent to report it running (not charged until then, with MARKET_CHARGE_FROM=running); `failed`: its agent reports it failed (not charged while it is).",
      }),
    graceUntil: z
      .string()
      .nullable()
      .openapi({ description: "While paused for funds: when the slices are reclaimed." }),
    settledThrough: z.string(),
    charged: z.string().openapi({ description: "CC charged so far (settled periods).", example: "1.875000" }),
    holdIds: z
      .array(z.string())
      .openapi({ description: "The ledger holds still standing behind the lease." }),
  })
  .openapi("Lease");

/** A lease from its mirror row only (once its book has archived it). */
export function leaseRowJson(row: LeaseRow): z.infer<typeof leaseSchema> {
  return {
    id: row.id,
    nodeId: row.nodeId,
    ownerId: row.ownerId,
    payerAccountId: row.payerAccountId,
    kind: row.kind,
    source: row.source,
    sourceId: row.sourceId,
    slices: row.slices,
    priceCcPerSliceHour: row.priceCcPerSliceHour,
    quoted:
      row.quotedPrice === null || row.quotedCurrency === null
        ? null
        : { price: row.quotedPrice, currency: row.quotedCurrency, ccUsd: row.quotedCcUsd },
    startedAt: new Date(row.startedAtMs).toISOString(),
    endsAt: iso(row.endsAtMs),
    status: row.status,
    pausedReason: row.pausedReason,
    graceUntil: iso(row.graceUntilMs),
    settledThrough: new Date(row.settledThroughMs).toISOString(),
    charged: formatAmount("CC", row.chargedMinor),
    holdIds: [],
  };
}

export const bidSchema = z
  .object({
    id: z.string(),
    nodeId: z.string(),
    ownerId: z.string(),
    payerAccountId: z.string(),
    slices: z.number().int(),
    priceCcPerSliceHour: z.string(),
    expiresAt: z.string(),
    status: z.enum(["open", "accepted", "rejected", "expired", "cancelled"]),
    holdIds: z.array(z.string()),
    leaseId: z
      .string()
      .nullable()
      .openapi({ description: "The interruptible lease an accepted bid became." }),
  })
  .openapi("NodeBid");

export const eventSchema = z
  .object({
    seq: z.number().int(),
    type: z.string().openapi({ example: "preempted" }),
    leaseId: z.string().nullable(),
    bidId: z.string().nullable(),
    at: z.string().openapi({ format: "date-time", example: "2026-12-04T17:00:00.000Z" }),
    detail: z.string().openapi({ description: "The event in a sentence, for people (times in ISO 8601)." }),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).openapi({
      description:
        "The event's facts as fields; every time is an ISO 8601 string in a field named `…At`. By type: started {kind, slices, priceCcPerSliceHour, endsAt}; placed {slices, priceCcPerSliceHour, expiresAt}; accepted {by, leaseId}; rejected, cancelled {by}; expired {expiresAt}; settled {settlementId, periodStartAt, periodEndAt, chargedCc, unpaidCc, farmerCc, burnedCc, threefoldCc, alreadySettled}; paused, preempted {reason, previousReason?, reclaimAt}; resumed {previousReason}; ended, reclaimed {cause: term, request, reclaimed, stopped (by the node's agent) or provisioning_timeout}; agent_status {status, previousStatus, by (agent: its report; book: handed to the node anew), provisionByAt}; hold_placed, topped_up {amountCc, accountId, holdId}; top_up_failed {amountCc, accountId, code}; released {holdIds, retryHoldIds, accountId}; settlement_failed {reason}; state_changed {from, to}; prices_changed {listedPriceCcPerSliceHour, minBidCcPerSliceHour, autoAcceptAboveCcPerSliceHour}. Events recorded before these fields existed have none.",
      example: {
        kind: "reservation",
        slices: 2,
        priceCcPerSliceHour: "0.078125",
        endsAt: "2026-12-05T17:00:00.000Z",
      },
    }),
  })
  .openapi("LeaseEvent");

/** Event fields as the API shows them: each `…AtMs` epoch time becomes an ISO 8601 `…At`. */
export function eventDetailsJson(details: EventDetails): Record<string, string | number | boolean | null> {
  return Object.fromEntries(
    Object.entries(details).map(([key, value]) =>
      key.endsWith("AtMs") && (typeof value === "number" || value === null)
        ? [key.slice(0, -2), value === null ? null : new Date(value).toISOString()]
        : [key, value],
    ),
  );
}

export function eventJson(event: EventView): z.infer<typeof eventSchema> {
  return {
    seq: event.seq,
    type: event.type,
    leaseId: event.leaseId,
    bidId: event.bidId,
    at: new Date(event.atMs).toISOString(),
    detail: event.detail,
    details: eventDetailsJson(event.details),
  };
}

/** The read `payerFrom` checks: the named account, or the caller's first CC user account. */
export function payerStatement(principal: Principal, accountId: string | undefined): InStatement {
  return accountId === undefined
    ? ownerAccountStatement(principal.ownerId, "CC", "user")
    : accountStatement(accountId);
}

/**
 * The account that pays, from `payerStatement`'s answer: the named account if it is one of the
 * caller's open CC accounts (any for an admin), else the caller's first CC user account.
 */
export function payerFrom(
  result: ResultSet | undefined,
  principal: Principal,
  accountId: string | undefined,
): string {
  const account = accountFrom(result);
  if (accountId !== undefined) {
    const usable =
      account !== null &&
      account.asset === "CC" &&
      !account.closed &&
      (principal.role === "admin" || account.ownerId === principal.ownerId);
    if (!usable) {
      throw new ApiError("VALIDATION_FAILED", "accountId must be one of your open CC accounts", [
        { field: "accountId", detail: "not one of your open CC accounts" },
      ]);
    }
    return accountId;
  }
  if (!account) {
    throw new ApiError("VALIDATION_FAILED", "You have no CC account to pay from: name one", [
      { field: "accountId", detail: "required: no CC user account found" },
    ]);
  }
  return account.id;
}

/** The account that pays (see `payerFrom`), read on its own. */
export async function requirePayerAccount(
  db: Client,
  principal: Principal,
  accountId: string | undefined,
): Promise<string> {
  return payerFrom(await db.execute(payerStatement(principal, accountId)), principal, accountId);
}
