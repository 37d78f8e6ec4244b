/**
 * The market half of the ledger audit (`GET /v1/ledger/audit`): checks what the market promises
 * against the holds in the ledger, in both directions.
 *
 * - Every running lease counts on at least one live hold, and so does every open node bid: a hold
 *   that is pending, has something left and has not timed out by the book's clock. A paused lease
 *   may have none: it accrues no charge while paused (settlement charges running time only), a
 *   lease paused for funds is paused precisely because its holds ran out (its grace period then
 *   runs), and a pre-empted or offline lease's holds may time out while it waits; the money pass
 *   tops a lease up, or pauses it for funds, before it runs again.
 * - Every held sealed auction bid (`auction_bids.status = 'held'`) and every pending withdrawal
 *   has its holds live.
 * - No live hold belongs to nothing: each live hold placed for a lease or bid (`lease_hold`,
 *   `package_lease_hold`, `lease_top_up`, `bid_hold`), an auction bid (`auction_bid_hold`) or a
 *   withdrawal (`tfp_withdrawal_hold`, `tft_withdrawal_hold`) is tracked by its owner, and the
 *   owner is in a state that holds money (a lease not yet ended and settled, an open bid, a held
 *   auction bid, a pending withdrawal). Holds with other codes (an admin's manual transfers) have
 *   no owner to check.
 *
 * Leases and open bids are read from their authority, each node's bid book, not from the libSQL
 * lease mirror (which the book writes after its own storage and may be behind): one read-only RPC
 * per node (`auditView`), at most `auditBookCallsConcurrentMax` at a time, over the `nodes` table. A book waits for a money pass in flight before answering, so it reports a state
 * between passes; a book never opened answers empty and is not created. Auction bids and
 * withdrawals are written in the same atomic ledger write as their holds, so libSQL is their
 * authority.
 *
 * The audit reads libSQL first (the nodes, the live lease and bid holds, the auction bids and
 * withdrawals, and whatever the caller adds: one batch, one round trip), then asks the books, and
 * then reads again only the holds of what that first read makes suspect (one more round trip, only
 * then). A lease or bid mismatch is one that both reads show, so a lease reserved or ended between
 * the first read and its book's answer is not reported. The reads and the books are still not one
 * snapshot: while the market is busy, a change that lands between the books' answer and the second
 * read can show as a mismatch that the next audit no longer reports. An audit of a quiet market is
 * exact.
 */
import type { Client, InStatement, ResultSet, Row } from "@libsql/client";
import { now } from "../../kit/clock";
import {
  type HoldDetail,
  holdDetailsOf,
  holdDetailsStatements,
  isUsable,
  pendingHoldsPageStatement,
} from "../../ledger/holds";
import type { BookAuditRecord, BookAuditView } from "../core/views";
import { bookOf } from "./books";

export type { BookAuditRecord, BookAuditView } from "../core/views";

/** Codes of the holds that stand behind a node's leases and bids (see funding.ts, node-bid-book.ts). */
export const bookHoldCodes = ["lease_hold", "package_lease_hold", "lease_top_up", "bid_hold"] as const;
/** Code of a sealed auction bid's TFP hold (src/pools/object/auction-round.ts). */
export const auctionBidHoldCode = "auction_bid_hold";
/** Codes of a withdrawal's two holds (src/credits/withdrawals.ts). */
export const withdrawalHoldCodes = ["tfp_withdrawal_hold", "tft_withdrawal_hold"] as const;

/** Most bid books asked at the same time. */
export const auditBookCallsConcurrentMax = 16;
/** Nodes read from libSQL per page: the first page comes in the audit's first round trip, each further one costs one. */
export const auditNodesPerPage = 5_000;
/** Live lease and bid holds read per page: the first in the audit's first round trip, each further one costs one. */
export const auditHoldsPerPage = 10_000;
/** Most market mismatches listed in one report (the total is counted in full). */
export const marketMismatchesMax = 100;
/** Most ids per `IN (…)` list. */
const idsPerQueryMax = 400;

export const marketMismatchKinds = [
  "lease_without_hold",
  "bid_without_hold",
  "auction_bid_without_hold",
  "withdrawal_without_hold",
  "hold_without_owner",
  "hold_owner_closed",
  "book_unreadable",
] as const;
export type MarketMismatchKind = (typeof marketMismatchKinds)[number];

export type MarketMismatch = {
  kind: MarketMismatchKind;
  /** The lease, bid, auction bid, withdrawal or hold concerned (a node for `book_unreadable`). */
  id: string;
  holdId: string | null;
  nodeId: string | null;
  /** When the hold concerned was placed (ledger time), when there is one. */
  holdCreatedAtMs: number | null;
  /**
   * The hold's place in the ledger (its pending transfer's `seq`): later holds have larger numbers,
   * whatever clock placed them.
   */
  holdSeq: bigint | null;
  detail: string;
};

export type MarketAuditReport = {
  nodesChecked: number;
  leasesChecked: number;
  openBidsChecked: number;
  auctionBidsChecked: number;
  withdrawalsChecked: number;
  holdsChecked: number;
  /**
   * Mismatches found. The list stops at `marketMismatchesMax`, newest hold first; the auction and
   * withdrawal checks each stop looking at that many, so past it the total is a lower bound.
   */
  mismatchesTotal: number;
  mismatches: MarketMismatch[];
};

/** Whether a hold can still be drawn at `atMs`: pending, something left, not timed out. */
function isLive(hold: HoldDetail | undefined, atMs: number): hold is HoldDetail {
  return hold !== undefined && isUsable(hold, atMs);
}

function describeHold(hold: HoldDetail | undefined, id: string, atMs: number): string {
  if (hold === undefined) return `${id} is not in the ledger`;
  if (hold.status !== "pending") return `${id} is ${hold.status}`;
  if (hold.remainingMinor <= 0n) return `${id} has nothing left`;
  if (hold.expiresAtMs !== null && hold.expiresAtMs <= atMs)
    return `${id} timed out at ${new Date(hold.expiresAtMs).toISOString()} (clock ${new Date(atMs).toISOString()})`;
  return `${id} is live`;
}

/** Runs `work` on every item, at most `limit` at a time. */
async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next]!;
      next += 1;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

/**
 * Reads every page of ids a paged query answers: `first` is the first page (read in the audit's
 * first round trip); each full page costs one more round trip.
 */
async function everyPage(
  client: Client,
  first: ResultSet,
  pageSize: number,
  next: (afterId: string) => InStatement,
): Promise<Row[]> {
  const rows = [...first.rows];
  let page = first.rows;
  while (page.length === pageSize) {
    page = (await client.execute(next(String(page.at(-1)!.id)))).rows;
    rows.push(...page);
  }
  return rows;
}

function nodesPageStatement(afterId: string): InStatement {
  return { sql: "SELECT id FROM nodes WHERE id > ? ORDER BY id LIMIT ?", args: [afterId, auditNodesPerPage] };
}

function bookHoldsPageStatement(afterId: string): InStatement {
  return pendingHoldsPageStatement(bookHoldCodes, afterId, auditHoldsPerPage);
}

/** Asks every node's book for its leases, open bids and the holds they count on (no libSQL read). */
async function readBooks(
  env: Env,
  nodeIds: readonly string[],
  found: MarketMismatch[],
): Promise<BookAuditView[]> {
  const views: BookAuditView[] = [];
  await forEachBounded(nodeIds, auditBookCallsConcurrentMax, async (nodeId) => {
    let failure: string;
    try {
      const answer = await bookOf(env, nodeId).auditView({ nodeId });
      if (answer.ok) {
        views.push(answer.value);
        return;
      }
      failure = `${answer.code}: ${answer.detail}`;
    } catch (error) {
      // The reason stays in the log: the report says only that the book did not answer.
      console.error(JSON.stringify({ level: "error", event: "audit_book", nodeId, error: String(error) }));
      failure = "the book did not answer";
    }
    found.push({
      kind: "book_unreadable",
      id: nodeId,
      holdId: null,
      nodeId,
      holdCreatedAtMs: null,
      holdSeq: null,
      detail: `the audit could not read this node's book (${failure}): its leases and bids are unchecked`,
    });
  });
  return views;
}

type OwnedRecord = { record: BookAuditRecord; nodeId: string; nowMs: number };

/** Every lease and bid the books list, with its book. */
function recordsOf(views: readonly BookAuditView[]): OwnedRecord[] {
  return views.flatMap((view) =>
    view.records.map((record) => ({ record, nodeId: view.nodeId, nowMs: view.nowMs })),
  );
}

/** How many running or paused leases and open bids the books list. */
function countRecords(views: readonly BookAuditView[]): { leases: number; bids: number } {
  let leases = 0;
  let bids = 0;
  for (const record of views.flatMap((view) => view.records)) {
    if (record.kind === "lease" && (record.status === "running" || record.status === "paused")) leases += 1;
    if (record.kind === "bid" && record.status === "open") bids += 1;
  }
  return { leases, bids };
}

/** A record's mismatches with `holds` (the ledger's view of its holds) at its book's clock. */
function recordMismatches(
  { record, nodeId, nowMs }: OwnedRecord,
  holds: ReadonlyMap<string, HoldDetail>,
): MarketMismatch[] {
  const found: MarketMismatch[] = [];
  const lastHoldId = record.holdIds.at(-1) ?? null;
  const mismatch = (kind: MarketMismatchKind, holdId: string | null, detail: string) =>
    found.push({
      kind,
      id: record.id,
      holdId,
      nodeId,
      holdCreatedAtMs: holdId === null ? null : (holds.get(holdId)?.createdAtMs ?? null),
      holdSeq: holdId === null ? null : (holds.get(holdId)?.seq ?? null),
      detail,
    });
  const counted = () =>
    record.holdIds.length === 0
      ? "it counts on no hold"
      : record.holdIds.map((id) => describeHold(holds.get(id), id, nowMs)).join("; ");
  const hasLive = record.holdIds.some((id) => isLive(holds.get(id), nowMs));
  if (record.kind === "lease" && record.status === "running" && !hasLive) {
    mismatch("lease_without_hold", lastHoldId, `running lease without a live hold: ${counted()}`);
  } else if (record.kind === "bid" && record.status === "open" && !hasLive) {
    mismatch("bid_without_hold", lastHoldId, `open bid without a live hold: ${counted()}`);
  }
  if (record.closed) {
    for (const holdId of record.holdIds) {
      if (!isLive(holds.get(holdId), nowMs)) continue;
      mismatch(
        "hold_owner_closed",
        holdId,
        `${holdId} is still held for ${record.kind} ${record.id}, which is ${record.status} and finished`,
      );
    }
  }
  return found;
}

/** A live lease or bid hold no book tracks, as a mismatch (null when it is not live at its node's clock). */
function orphanMismatch(
  hold: HoldDetail,
  clockOf: ReadonlyMap<string, number>,
  nodeOfLease: ReadonlyMap<string, string>,
  nowMs: number,
): MarketMismatch | null {
  const named = hold.metadata?.nodeId ?? hold.metadata?.leaseId ?? hold.metadata?.bidId;
  const nodeId =
    typeof hold.metadata?.nodeId === "string"
      ? hold.metadata.nodeId
      : (nodeOfLease.get(String(hold.metadata?.leaseId)) ?? null);
  // A hold the book dropped as timed out by its own (possibly shifted) clock is not an orphan.
  const atMs = (nodeId === null ? undefined : clockOf.get(nodeId)) ?? nowMs;
  if (!isLive(hold, atMs)) return null;
  const owner = String(hold.metadata?.leaseId ?? hold.metadata?.bidId ?? named ?? "unknown");
  return {
    kind: "hold_without_owner",
    id: hold.id,
    holdId: hold.id,
    nodeId,
    holdCreatedAtMs: hold.createdAtMs,
    holdSeq: hold.seq,
    detail: `live ${hold.code} hold (${hold.remainingMinor} minor units) that no book tracks; it names ${owner}`,
  };
}

/**
 * The books' leases and bids against their holds, both ways. `snapshot` is the live-looking
 * lease and bid holds read before the books were asked; what it makes suspect (a lease or bid
 * without a live hold, a finished one with one, a hold no book tracks) is read again after the
 * books answered — one more round trip, only then — and a mismatch is what both reads show. So a
 * lease reserved or ended between the reads is not reported, and an audit that finds nothing
 * takes no read after the books.
 */
async function checkBooks(
  client: Client,
  views: readonly BookAuditView[],
  snapshot: readonly HoldDetail[],
  nowMs: number,
): Promise<MarketMismatch[]> {
  const records = recordsOf(views);
  const owned = new Set(records.flatMap((item) => item.record.holdIds));
  const byId = new Map(snapshot.map((hold) => [hold.id, hold]));
  const suspectRecords = records.filter((item) => recordMismatches(item, byId).length > 0);
  // Live by any clock (a book's clock decides below): only the pending holds with something left.
  const suspectHolds = snapshot.filter((hold) => !owned.has(hold.id));
  if (suspectRecords.length === 0 && suspectHolds.length === 0) return [];
  // A top-up names only its lease: its node comes from the lease mirror (the node never changes).
  const leaseIds = suspectHolds.flatMap((hold) =>
    typeof hold.metadata?.nodeId === "string" || typeof hold.metadata?.leaseId !== "string"
      ? []
      : [hold.metadata.leaseId],
  );
  const detailStatements = holdDetailsStatements([
    ...suspectRecords.flatMap((item) => item.record.holdIds),
    ...suspectHolds.map((hold) => hold.id),
  ]);
  const leaseStatements = chunks(leaseIds).map((chunk) => ({
    sql: `SELECT id, node_id FROM leases WHERE id IN (${chunk.map(() => "?").join(", ")})`,
    args: chunk,
  }));
  const results = await client.batch([...detailStatements, ...leaseStatements], "read");
  const fresh = holdDetailsOf(results.slice(0, detailStatements.length).flatMap((result) => result.rows));
  const nodeOfLease = new Map(
    results
      .slice(detailStatements.length)
      .flatMap((result) => result.rows.map((row) => [String(row.id), String(row.node_id)])),
  );
  const clockOf = new Map(views.map((view) => [view.nodeId, view.nowMs]));
  return [
    ...suspectRecords.flatMap((item) => recordMismatches(item, fresh)),
    ...suspectHolds.flatMap((hold) => {
      const now = fresh.get(hold.id);
      const found = now === undefined ? null : orphanMismatch(now, clockOf, nodeOfLease, nowMs);
      return found === null ? [] : [found];
    }),
  ];
}

function chunks(ids: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let start = 0; start < ids.length; start += idsPerQueryMax)
    out.push(ids.slice(start, start + idsPerQueryMax));
  return out;
}

/** Held auction bids and pending withdrawals against their holds, both ways (pure SQL: one write holds both). */
function auctionsAndWithdrawalsStatements(nowMs: number): InStatement[] {
  const live = "h.status = 'pending' AND h.remaining > 0 AND (h.expires_at IS NULL OR h.expires_at > ?)";
  return [
    "SELECT count(*) AS n FROM auction_bids WHERE status = 'held'",
    {
      sql: `SELECT b.id, b.round_id, b.hold_id, h.status, h.remaining, h.expires_at, t.created_at AS held_at, t.seq AS held_seq
                FROM auction_bids b LEFT JOIN holds h ON h.id = b.hold_id LEFT JOIN transfers t ON t.id = b.hold_id
                WHERE b.status = 'held' AND NOT COALESCE(${live}, 0) ORDER BY t.seq DESC, b.id LIMIT ?`,
      args: [nowMs, marketMismatchesMax],
    },
    {
      sql: `SELECT h.id, h.remaining, t.created_at AS held_at, t.seq AS held_seq, b.id AS bid_id, b.status AS bid_status
                FROM holds h JOIN transfers t ON t.id = h.id LEFT JOIN auction_bids b ON b.hold_id = h.id
                WHERE ${live} AND t.code = ? AND (b.id IS NULL OR b.status <> 'held') ORDER BY t.seq DESC, h.id LIMIT ?`,
      args: [nowMs, auctionBidHoldCode, marketMismatchesMax],
    },
    "SELECT count(*) AS n FROM withdrawals WHERE status = 'pending'",
    {
      sql: `SELECT w.id, w.tfp_hold_id, w.tft_hold_id, tfp.status AS tfp_status, tfp.remaining AS tfp_remaining,
                  tft.status AS tft_status, tft.remaining AS tft_remaining, w.created_at,
                  (SELECT seq FROM transfers WHERE id = w.tfp_hold_id) AS held_seq
                FROM withdrawals w LEFT JOIN holds tfp ON tfp.id = w.tfp_hold_id LEFT JOIN holds tft ON tft.id = w.tft_hold_id
                WHERE w.status = 'pending' AND NOT (COALESCE(tfp.status = 'pending' AND tfp.remaining > 0, 0)
                  AND COALESCE(tft.status = 'pending' AND tft.remaining > 0, 0))
                ORDER BY w.seq DESC LIMIT ?`,
      args: [marketMismatchesMax],
    },
    {
      sql: `SELECT h.id, h.remaining, t.code, t.created_at AS held_at, t.seq AS held_seq, w.id AS withdrawal_id, w.status AS withdrawal_status
                FROM holds h JOIN transfers t ON t.id = h.id
                LEFT JOIN withdrawals w ON w.tfp_hold_id = h.id OR w.tft_hold_id = h.id
                WHERE ${live} AND t.code IN (?, ?) AND (w.id IS NULL OR w.status <> 'pending') ORDER BY t.seq DESC, h.id LIMIT ?`,
      args: [nowMs, ...withdrawalHoldCodes, marketMismatchesMax],
    },
  ];
}

/** The mismatches and counts `auctionsAndWithdrawalsStatements` read (their answers, in order). */
function auctionsAndWithdrawalsFrom(
  results: readonly ResultSet[],
  found: MarketMismatch[],
): { auctionBids: number; withdrawals: number } {
  const [auctionCount, bidsWithout, auctionOrphans, withdrawalCount, withdrawalsWithout, withdrawalOrphans] =
    results;
  for (const row of bidsWithout!.rows) {
    const state =
      row.status === null
        ? "is not in the ledger"
        : row.status !== "pending"
          ? `is ${String(row.status)}`
          : BigInt(row.remaining as bigint) <= 0n
            ? "has nothing left"
            : `timed out at ${Number(row.expires_at)}`;
    found.push({
      kind: "auction_bid_without_hold",
      id: String(row.id),
      holdId: String(row.hold_id),
      nodeId: null,
      holdCreatedAtMs: row.held_at === null ? null : Number(row.held_at),
      holdSeq: row.held_seq === null ? null : BigInt(row.held_seq as bigint),
      detail: `auction bid held in round ${String(row.round_id)}, but its hold ${String(row.hold_id)} ${state}`,
    });
  }
  for (const row of auctionOrphans!.rows) {
    const owned = row.bid_id !== null;
    found.push({
      kind: owned ? "hold_owner_closed" : "hold_without_owner",
      id: String(row.id),
      holdId: String(row.id),
      nodeId: null,
      holdCreatedAtMs: Number(row.held_at),
      holdSeq: BigInt(row.held_seq as bigint),
      detail: owned
        ? `live auction bid hold of bid ${String(row.bid_id)}, which is ${String(row.bid_status)}`
        : "live auction bid hold with no auction bid",
    });
  }
  for (const row of withdrawalsWithout!.rows) {
    const legs = [
      [row.tfp_hold_id, row.tfp_status, row.tfp_remaining],
      [row.tft_hold_id, row.tft_status, row.tft_remaining],
    ]
      .map(([id, status, remaining]) =>
        status === null
          ? `${String(id)} is not in the ledger`
          : `${String(id)} is ${String(status)} with ${String(remaining)} left`,
      )
      .join("; ");
    found.push({
      kind: "withdrawal_without_hold",
      id: String(row.id),
      holdId: row.tfp_status === "pending" ? String(row.tft_hold_id) : String(row.tfp_hold_id),
      nodeId: null,
      holdCreatedAtMs: Number(row.created_at),
      holdSeq: row.held_seq === null ? null : BigInt(row.held_seq as bigint),
      detail: `pending withdrawal whose holds are not both live: ${legs}`,
    });
  }
  for (const row of withdrawalOrphans!.rows) {
    const owned = row.withdrawal_id !== null;
    found.push({
      kind: owned ? "hold_owner_closed" : "hold_without_owner",
      id: String(row.id),
      holdId: String(row.id),
      nodeId: null,
      holdCreatedAtMs: Number(row.held_at),
      holdSeq: BigInt(row.held_seq as bigint),
      detail: owned
        ? `live ${String(row.code)} hold of withdrawal ${String(row.withdrawal_id)}, which is ${String(row.withdrawal_status)}`
        : `live ${String(row.code)} hold with no withdrawal`,
    });
  }
  return {
    auctionBids: Number(auctionCount!.rows[0]!.n),
    withdrawals: Number(withdrawalCount!.rows[0]!.n),
  };
}

/** The market's audit report, and the answers of the reads sent with its first. */
export type MarketAudit = { report: MarketAuditReport; alongside: ResultSet[] };

/**
 * Checks the market against the ledger (see the module comment for the rules). A full scan of
 * the nodes, the live holds, the held auction bids and the pending withdrawals: an admin
 * operation. One round trip reads them all, with `alongside` (say, the ledger's own audit); then
 * the books are asked; a second read comes only when something looks wrong (see `checkBooks`),
 * and one more per further page of nodes (`auditNodesPerPage`) or live holds (`auditHoldsPerPage`).
 */
export async function auditMarket(
  client: Client,
  env: Env,
  nowMs = now(),
  alongside: readonly InStatement[] = [],
): Promise<MarketAudit> {
  const found: MarketMismatch[] = [];
  const others = auctionsAndWithdrawalsStatements(nowMs);
  const first = await client.batch(
    [...alongside, nodesPageStatement(""), bookHoldsPageStatement(""), ...others],
    "read",
  );
  const [nodesRead, holdsRead, ...otherReads] = first.slice(alongside.length);
  const nodeIds = (await everyPage(client, nodesRead!, auditNodesPerPage, nodesPageStatement)).map((row) =>
    String(row.id),
  );
  const snapshot = [
    ...holdDetailsOf(await everyPage(client, holdsRead!, auditHoldsPerPage, bookHoldsPageStatement)).values(),
  ];
  const counted = auctionsAndWithdrawalsFrom(otherReads, found);
  const views = await readBooks(env, nodeIds, found);
  found.push(...(await checkBooks(client, views, snapshot, nowMs)));
  const records = countRecords(views);
  // Newest hold first (those without a hold first of all): what broke last leads the capped list.
  const rank = (mismatch: MarketMismatch) => mismatch.holdSeq ?? 2n ** 63n;
  const order = (mismatch: MarketMismatch) => `${mismatch.kind} ${mismatch.id} ${mismatch.holdId ?? ""}`;
  found.sort((left, right) => {
    const byHold = rank(right) - rank(left);
    if (byHold !== 0n) return byHold > 0n ? 1 : -1;
    return order(left) < order(right) ? -1 : order(left) > order(right) ? 1 : 0;
  });
  const report = {
    nodesChecked: nodeIds.length,
    leasesChecked: records.leases,
    openBidsChecked: records.bids,
    auctionBidsChecked: counted.auctionBids,
    withdrawalsChecked: counted.withdrawals,
    holdsChecked: snapshot.length,
    mismatchesTotal: found.length,
    mismatches: found.slice(0, marketMismatchesMax),
  };
  return { report, alongside: first.slice(0, alongside.length) };
}
