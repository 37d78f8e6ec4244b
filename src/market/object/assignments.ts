/**
 * The book's assignments to its node's agent, kept in the object's SQLite beside the book: each
 * lease's slice indices (src/market/core/bidbook/placement.ts) and the number of its last change,
 * its deployment document, and the node's change counter (the agent's cursor). Written by
 * `BookStorage.commit` inside the commit's storage transaction, so a change and its cursor are one
 * write; read by `page` for GET /v1/nodes/{id}/assignments and the live feed (./agent-feed.ts).
 *
 * A cursor `c` asks for every lease whose last change is numbered above `c`: leases still on the
 * node as assignments, ended ones as removals. Compaction drops ended leases with their records;
 * a cursor older than the last change of a dropped lease (`resetBelowSeq`) would miss its
 * removal, so it is answered from scratch (`reset`: every lease still on the node; the agent stops
 * whatever is not among them).
 */
import type { BidBook, Lease } from "../core/bidbook";
import { assignmentFingerprint, placeSlices } from "../core/bidbook/placement";
import { type AssignmentsPage, type AssignmentView, assignmentsPageBytesMax } from "./contract";

/** One lease's record: its slices and the number of its last change. */
type AssignmentRecord = { leaseId: string; seq: number; sliceIndices: number[]; fingerprint: string };

/** What a commit writes of the assignments (see `plan`). */
export type AssignmentPlan = {
  upserts: AssignmentRecord[];
  deletes: string[];
  seq: number;
  resetBelowSeq: number;
};

export const assignmentsSchemaSql = [
  "CREATE TABLE IF NOT EXISTS assignments (lease_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, body TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS deployments (lease_id TEXT PRIMARY KEY, body TEXT NOT NULL)",
];

export class AssignmentLog {
  /** The number of the node's last assignment change: the newest cursor. */
  seq = 0;
  /** Cursors below this are answered from scratch (see the module comment). */
  resetBelowSeq = 0;
  /** The last cursor the node's agent acknowledged over its socket, and when. */
  acknowledged: { cursor: number; atMs: number } | null = null;
  private readonly records = new Map<string, AssignmentRecord>();

  constructor(private readonly sql: SqlStorage) {}

  /** Loads the records and counters; records for `book` are (re)computed by the next `plan`. */
  load(meta: ReadonlyMap<string, string>): void {
    for (const statement of assignmentsSchemaSql) this.sql.exec(statement);
    const counters = meta.get("assignments");
    if (counters !== undefined) {
      const parsed = JSON.parse(counters) as Pick<AssignmentLog, "seq" | "resetBelowSeq" | "acknowledged">;
      this.seq = parsed.seq;
      this.resetBelowSeq = parsed.resetBelowSeq;
      this.acknowledged = parsed.acknowledged ?? null;
    }
    for (const row of this.sql.exec<{ body: string }>("SELECT body FROM assignments").toArray()) {
      const record = JSON.parse(row.body) as AssignmentRecord;
      this.records.set(record.leaseId, record);
    }
  }

  /**
   * The records of `book`: each lease's placement after the current one, a new number for every
   * lease whose assignment changed, and the records of leases the book no longer has to drop.
   */
  plan(book: BidBook): AssignmentPlan {
    const placement = placeSlices(
      book,
      new Map([...this.records.values()].map((record) => [record.leaseId, record.sliceIndices])),
    );
    let seq = this.seq;
    const upserts: AssignmentRecord[] = [];
    for (const lease of book.leases) {
      const sliceIndices = placement.get(lease.id) ?? [];
      const fingerprint = assignmentFingerprint(lease, sliceIndices);
      if (this.records.get(lease.id)?.fingerprint === fingerprint) continue;
      seq += 1;
      upserts.push({ leaseId: lease.id, seq, sliceIndices, fingerprint });
    }
    let resetBelowSeq = this.resetBelowSeq;
    const deletes: string[] = [];
    if (this.records.size + upserts.length > book.leases.length) {
      const present = new Set(book.leases.map((lease) => lease.id));
      for (const record of this.records.values()) {
        if (present.has(record.leaseId)) continue;
        deletes.push(record.leaseId);
        resetBelowSeq = Math.max(resetBelowSeq, record.seq);
      }
    }
    return { upserts, deletes, seq, resetBelowSeq };
  }

  /** Writes a plan (inside the caller's storage transaction) with the deployment documents of new leases. */
  write(plan: AssignmentPlan, deployments: readonly { leaseId: string; body: string }[]): void {
    if (plan.upserts.length > 0) {
      this.sql.exec(
        "INSERT OR REPLACE INTO assignments (lease_id, seq, body) SELECT value ->> '$.leaseId', value ->> '$.seq', value FROM json_each(?)",
        JSON.stringify(plan.upserts),
      );
    }
    if (plan.deletes.length > 0) {
      const ids = JSON.stringify(plan.deletes);
      this.sql.exec("DELETE FROM assignments WHERE lease_id IN (SELECT value FROM json_each(?))", ids);
      this.sql.exec("DELETE FROM deployments WHERE lease_id IN (SELECT value FROM json_each(?))", ids);
    }
    if (deployments.length > 0) {
      this.sql.exec(
        "INSERT OR REPLACE INTO deployments (lease_id, body) SELECT value ->> '$.leaseId', value ->> '$.body' FROM json_each(?)",
        JSON.stringify(deployments),
      );
    }
    if (plan.seq !== this.seq || plan.resetBelowSeq !== this.resetBelowSeq) this.writeCounters(plan);
  }

  /** Takes a written plan into memory; whether the cursor moved. */
  keep(plan: AssignmentPlan): boolean {
    for (const record of plan.upserts) this.records.set(record.leaseId, record);
    for (const leaseId of plan.deletes) this.records.delete(leaseId);
    const moved = plan.seq !== this.seq;
    this.seq = plan.seq;
    this.resetBelowSeq = plan.resetBelowSeq;
    return moved;
  }

  /** Records the agent's acknowledgement of `cursor` (at most the newest cursor). */
  acknowledge(cursor: number, atMs: number): void {
    this.acknowledged = { cursor: Math.min(cursor, this.seq), atMs };
    this.writeCounters(this);
  }

  private writeCounters(counters: { seq: number; resetBelowSeq: number }): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO meta (key, value) VALUES ('assignments', ?)",
      JSON.stringify({
        seq: counters.seq,
        resetBelowSeq: counters.resetBelowSeq,
        acknowledged: this.acknowledged,
      }),
    );
  }

  /**
   * The page of changes after cursor `after` (null: from scratch), at most `limit` assignments and
   * about `assignmentsPageBytesMax` of deployment documents, oldest change first.
   */
  page(
    book: BidBook,
    after: number | null,
    limit: number,
  ): Omit<AssignmentsPage, "nodeId" | "farmerId" | "slice"> {
    const reset = after === null || after < this.resetBelowSeq || after > this.seq;
    const from = reset ? 0 : after;
    const changed = book.leases
      .map((lease) => ({ lease, record: this.records.get(lease.id) }))
      .filter(
        (item): item is { lease: Lease; record: AssignmentRecord } =>
          item.record !== undefined && item.record.seq > from && !(reset && item.lease.status === "ended"),
      )
      .sort((a, b) => a.record.seq - b.record.seq);
    const taken: typeof changed = [];
    let bytes = 0;
    const documents = this.deployments(changed.slice(0, limit).map((item) => item.lease.id));
    for (const item of changed) {
      if (taken.length >= limit || (taken.length > 0 && bytes >= assignmentsPageBytesMax)) break;
      bytes += documents.get(item.lease.id)?.length ?? 0;
      taken.push(item);
    }
    const more = taken.length < changed.length;
    const last = taken[taken.length - 1];
    const assignments: AssignmentView[] = [];
    const removed: AssignmentsPage["removed"] = [];
    for (const { lease, record } of taken) {
      if (lease.status === "ended") {
        removed.push({ leaseId: lease.id, seq: record.seq, endedAtMs: lease.endsAtMs ?? 0 });
      } else {
        assignments.push(assignmentView(lease, record, documents.get(lease.id) ?? null));
      }
    }
    return {
      cursor: more && last !== undefined ? last.record.seq : this.seq,
      reset,
      more,
      assignments,
      removed,
      acknowledged: this.acknowledged,
    };
  }

  /** The deployment documents of these leases, as stored JSON text. */
  private deployments(leaseIds: readonly string[]): Map<string, string> {
    if (leaseIds.length === 0) return new Map();
    const rows = this.sql
      .exec<{ lease_id: string; body: string }>(
        "SELECT lease_id, body FROM deployments WHERE lease_id IN (SELECT value FROM json_each(?))",
        JSON.stringify(leaseIds),
      )
      .toArray();
    return new Map(rows.map((row) => [row.lease_id, row.body]));
  }
}

function assignmentView(lease: Lease, record: AssignmentRecord, deployment: string | null): AssignmentView {
  return {
    leaseId: lease.id,
    seq: record.seq,
    kind: lease.kind,
    slices: lease.slices,
    sliceIndices: record.sliceIndices,
    status: lease.status === "running" ? "running" : "paused",
    pausedReason: lease.pausedReason ?? null,
    agent: lease.agent
      ? {
          status: lease.agent.status,
          sinceMs: lease.agent.sinceMs,
          chargeFromRunning: lease.agent.chargeFromRunning,
          deadlineMs: lease.agent.deadlineMs ?? null,
        }
      : null,
    startedAtMs: lease.startedAtMs,
    endsAtMs: lease.endsAtMs,
    deployment,
  };
}
