/**
 * The book's libSQL mirror: writes changed leases and the node's state, free slices and prices to
 * libSQL after the book's own storage, one flush at a time (a flush asked for meanwhile runs once
 * more when the current one ends). What the mirror holds is fingerprinted in memory, so a restart
 * mirrors everything once.
 */
import type { Client, InStatement } from "@libsql/client";
import { now } from "../../kit/clock";
import { freeSlices } from "../core/bidbook";
import { leaseMirrorStatements } from "../store/mirror";
import { nodeMirrorStatement } from "../store/nodes";
import { RunInRounds } from "./rounds";
import { type BookStorage, headerOf } from "./storage";
import { leaseView } from "./views";

export class BookMirror {
  private readonly mirrored = new Map<string, string>();
  private readonly runs = new RunInRounds(() => this.flushOnce(), Number.POSITIVE_INFINITY);

  constructor(
    private readonly state: BookStorage,
    private readonly db: Client,
  ) {}

  /** Writes what changed (one at a time; joins a flush in flight and makes it go round once more). */
  flush(): Promise<void> {
    return this.runs.request();
  }

  private async flushOnce(): Promise<void> {
    const book = this.state.requireBook();
    const config = this.state.requireConfig();
    const nowMs = now();
    const statements: InStatement[] = [];
    const written = new Map<string, string>();
    for (const lease of book.leases) {
      const fingerprint = `${lease.status}|${lease.pausedReason ?? ""}|${lease.graceUntilMs ?? ""}|${lease.endsAtMs ?? ""}|${lease.settledThroughMs}`;
      if (this.mirrored.get(lease.id) === fingerprint) continue;
      written.set(lease.id, fingerprint);
      statements.push(...leaseMirrorStatements(leaseView(this.state, lease), config.farmerId, nowMs));
    }
    const nodeFingerprint = JSON.stringify([headerOf(book), freeSlices(book), config]);
    const nodeChanged = this.mirrored.get(config.nodeId) !== nodeFingerprint;
    if (nodeChanged) {
      const node = {
        state: book.state,
        freeSlices: freeSlices(book),
        pricePerSliceMonth: config.pricePerSliceMonth,
        pricePerSliceHour: config.pricePerSliceHour,
        minBidCcPerSliceHour: book.minBidCcPerSliceHour,
        autoAcceptAboveCcPerSliceHour: book.autoAcceptAboveCcPerSliceHour,
        band: config.band,
      };
      statements.push(nodeMirrorStatement(config.nodeId, node, nowMs));
    }
    this.state.mirrorDirty = false;
    if (statements.length === 0) return;
    try {
      await this.db.batch(statements, "write");
    } catch (error) {
      this.state.mirrorDirty = true;
      throw error;
    }
    for (const [id, fingerprint] of written) this.mirrored.set(id, fingerprint);
    if (nodeChanged) this.mirrored.set(config.nodeId, nodeFingerprint);
  }
}
