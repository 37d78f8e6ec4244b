/**
 * What the simulation knows and how it talks to the service: the actors it created, the things
 * they own (nodes, leases, bids, quotes, withdrawals, pools, rounds), the webhook outbox (events
 * the "senders" have not delivered yet, so they can arrive late, twice or out of order), the
 * step log, and `request`, which sends one HTTP call to the Worker and proves a refusal wrote
 * nothing: rows counted around every call that answers 4xx (or 5xx without an injected fault
 * that may have let a write through), and new transfers attributed by their code.
 */

import type { Prng } from "./prng";
import type { Service } from "./service";
import { callTimeoutMs } from "./service";

export type Actor = {
  readonly key: string;
  readonly ownerId: string;
  readonly role: "admin" | "user" | "farmer" | "lp";
  /** Accounts by asset (the actor's own kind). */
  readonly accounts: Partial<Record<"CC" | "TFP" | "USDC", string>>;
};

export type NodeInfo = { id: string; farmer: number; sliceCount: number; silent: boolean };
export type LeaseInfo = { id: string; user: number; nodeId: string };
export type BidInfo = { id: string; user: number; nodeId: string };
export type Outgoing = { channel: "stripe" | "bridge"; payload: string; label: string };
export type RoundInfo = { id: string; poolId: string };

export type Violation = { step: number; invariant: string; detail: string };

export type Response = { status: number; body: unknown; lost: boolean; faulted: boolean };

/** Transfer codes written by alarms and the cron, which may run beside a refused call. */
export const backgroundTransferCodes = [
  "lease_charge",
  "lease_revenue_farmer",
  "lease_revenue_burn",
  "lease_revenue_threefold",
  "lease_burn_tft",
  "lease_top_up",
  "lease_hold_released",
  "hold_expired",
  "burn_obligation_tft",
  "auction_exit_fill",
  "auction_exit_payout",
  "auction_exit_margin",
  "auction_bid_released",
];

/** Record tables a refused request must leave alone (no alarm or cron step writes them). */
const refusalTables = [
  "nodes",
  "card_payments",
  "tft_deposits",
  "withdrawals",
  "webhook_events",
  "pool_positions",
  "capacity_requests",
  "capacity_offers",
  "auction_bids",
  "accounts",
  "checkout_quotes",
] as const;

/** Steps of the log kept for a failure report. */
export const stepLogLinesMax = 400;

export class World {
  readonly users: Actor[] = [];
  readonly farmers: Actor[] = [];
  readonly lps: Actor[] = [];
  admin!: Actor;
  readonly nodes: NodeInfo[] = [];
  readonly leases: LeaseInfo[] = [];
  readonly bids: BidInfo[] = [];
  readonly outbox: Outgoing[] = [];
  /** Delivered events kept for duplicate deliveries later. */
  readonly delivered: Outgoing[] = [];
  readonly checkoutQuotes: { id: string; user: number; cents: number }[] = [];
  readonly paidIntents: { id: string; user: number; cents: number; refundedCents: number }[] = [];
  readonly withdrawals: { id: string; amountTft: string }[] = [];
  readonly conversionQuotes: { id: string; user: number }[] = [];
  readonly capacityRequests: { id: string; user: number }[] = [];
  readonly offers: { id: string; requestId: string; user: number }[] = [];
  readonly pools: { id: string }[] = [];
  readonly rounds: RoundInfo[] = [];
  readonly auctionBids: { id: string; roundId: string; actor: Actor }[] = [];
  readonly violations: Violation[] = [];
  readonly log: string[] = [];
  /** Calls by outcome class, for the report. */
  readonly outcomes: Record<string, number> = {};
  /** Calls by label, status and problem code: what the run covered. */
  readonly coverage: Record<string, number> = {};
  step = 0;
  private idCounter = 0;

  constructor(
    readonly service: Service,
    readonly random: Prng,
    readonly seed: number,
  ) {}

  /** A unique, seed-determined id (the same on replay). */
  nextId(prefix: string): string {
    this.idCounter += 1;
    return `${prefix}_s${this.seed}x${this.idCounter}${this.random.token(6)}`;
  }

  note(line: string): void {
    this.log.push(`[${this.step}] ${line}`);
    if (this.log.length > stepLogLinesMax) this.log.shift();
  }

  violate(invariant: string, detail: string): void {
    this.violations.push({ step: this.step, invariant, detail });
    this.note(`VIOLATION ${invariant}: ${detail}`);
  }

  private async snapshot(): Promise<{ counts: Record<string, number>; maxRowid: bigint }> {
    const counts = await this.service.client.execute(
      `SELECT ${refusalTables.map((table) => `(SELECT count(*) FROM ${table}) AS ${table}`).join(", ")}, (SELECT coalesce(max(rowid), 0) FROM transfers) AS max_rowid`,
    );
    const row = counts.rows[0]!;
    return {
      counts: Object.fromEntries(refusalTables.map((table) => [table, Number(row[table])])),
      maxRowid: BigInt(row.max_rowid as bigint),
    };
  }

  private faultsSoFar(): number {
    const counts = this.service.proxy.counts;
    return counts.dropAfter + counts.error500 + counts.error503 + counts.dropBefore + counts.unreachable;
  }

  /**
   * One call to the Worker. `check` (default true) proves that a refusal wrote nothing; turn it
   * off only for calls whose refusal may legitimately follow another writer's work.
   */
  async request(
    method: string,
    path: string,
    options: {
      key?: string;
      body?: unknown;
      rawBody?: string;
      headers?: Record<string, string>;
      check?: boolean;
      label?: string;
    } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    const check = options.check !== false && method !== "GET";
    const before = check ? await this.snapshot() : null;
    const faultsBefore = this.faultsSoFar();
    const restartsBefore = this.restarts;
    let status = 0;
    let parsed: unknown = null;
    let lost = false;
    try {
      const answer = await this.service.mf.dispatchFetch(`http://market.test${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(callTimeoutMs),
      });
      status = answer.status;
      const text = await answer.text();
      try {
        parsed = text.length > 0 ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
    } catch (error) {
      lost = true;
      parsed = String(error);
    }
    const faulted = this.faultsSoFar() !== faultsBefore || this.restarts !== restartsBefore;
    const outcome = lost ? "lost" : `${Math.floor(status / 100)}xx`;
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
    const code = typeof parsed === "object" && parsed !== null && "code" in parsed ? String(parsed.code) : "";
    const covered = `${options.label ?? method} → ${lost ? "lost" : status} ${code}`.trim();
    this.coverage[covered] = (this.coverage[covered] ?? 0) + 1;
    this.note(
      `${options.label ?? ""} ${method} ${path} → ${lost ? "lost" : status} ${code}${faulted ? " (faulted)" : ""}`,
    );
    if (!lost && status === 500 && !faulted) {
      this.violate(
        "no-unexplained-500",
        `${method} ${path} answered 500 with no injected fault: ${JSON.stringify(parsed).slice(0, 300)}`,
      );
    }
    if (!lost && status >= 500 && typeof parsed === "object" && parsed !== null) {
      const text = JSON.stringify(parsed);
      if (/SQLITE|libsql|stack|at [A-Za-z]+ \(/i.test(text)) {
        this.violate("500-leaks-nothing", `${method} ${path}: ${text.slice(0, 300)}`);
      }
    }
    // A refusal wrote nothing: always for 4xx; for 5xx/lost only when no fault could have let a
    // write through before the failure (a dropped answer after a commit is the client's retry's job).
    const refused = lost || status >= 400;
    if (check && before !== null && refused && (status < 500 || !faulted) && !(lost && faulted)) {
      await this.proveNothingWritten(before, `${method} ${path} → ${lost ? "lost" : status} ${code}`);
    }
    return { status, body: parsed, lost, faulted };
  }

  /** Workerd restarts so far (a call that spans one is "faulted"). */
  restarts = 0;

  private async proveNothingWritten(
    before: { counts: Record<string, number>; maxRowid: bigint },
    what: string,
  ): Promise<void> {
    const after = await this.snapshot();
    const changed = refusalTables.filter((table) => after.counts[table] !== before.counts[table]);
    if (changed.length > 0) {
      this.violate(
        "refusal-wrote-nothing",
        `${what}: rows added to ${changed.map((table) => `${table} (${before.counts[table]} → ${after.counts[table]})`).join(", ")}`,
      );
    }
    if (after.maxRowid > before.maxRowid) {
      const rows = await this.service.client.execute({
        sql: `SELECT id, code, type, amount FROM transfers WHERE rowid > ? AND code NOT IN (${backgroundTransferCodes.map(() => "?").join(", ")}) LIMIT 5`,
        args: [before.maxRowid, ...backgroundTransferCodes],
      });
      if (rows.rows.length > 0) {
        this.violate(
          "refusal-wrote-nothing",
          `${what}: transfers written: ${rows.rows.map((row) => `${row.id} ${row.code} ${row.type} ${row.amount}`).join("; ")}`,
        );
      }
    }
  }
}
