/**
 * The reference node agent: what a farmer runs on a node (as Akash providers and vast.ai hosts run
 * theirs) to learn which leases to run and to say how they are doing.
 *
 *   npm run agent -- --node node_… --key tfm_…   [--url http://127.0.0.1:8787] [--heartbeat-seconds 60]
 *                    [--state .data/agent-node_….json] [--start-delay-ms 0] [--quiet]
 *
 * The key is the node's own (`POST /v1/nodes/{id}/keys`, role `node`); `TFGRID_NODE_KEY` may hold
 * it instead of `--key`. The agent:
 * 1. holds a WebSocket to its node's book (`GET /v1/nodes/{id}/agent`), resuming after the last
 *    cursor it applied (kept in memory, and with its leases in `--state` across restarts), and
 *    reconnects with backoff when the socket drops, so nothing is missed;
 * 2. applies each page of assignment changes: starts the leases it must run (`run: true`), stops
 *    the ones it must not (paused: their data kept), forgets the ended ones (`removed`, or every
 *    lease a `reset` snapshot leaves out), then acknowledges the page's cursor over the socket;
 * 3. reports each lease it starts `running` (or `failed`) with `PUT …/assignments/{leaseId}/status`
 *    (charging starts there when the market charges from `running`), and `running` again when the
 *    book hands it a lease anew (after the node was offline) that it still runs;
 * 4. sends a heartbeat every `--heartbeat-seconds` carrying its view of the leases it runs.
 *
 * The workloads themselves are a `Runtime`'s: this reference runs a simulated one (a lease "runs"
 * once started; a deployment document `{"simulate":"fail"}` fails to start) so the protocol can be
 * seen and tested end to end; a real agent plugs a container or VM runtime in its place.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

/** A lease as the feed and `GET /v1/nodes/{id}/assignments` describe it (the fields the agent uses). */
export type Assignment = {
  leaseId: string;
  slices: number;
  sliceIndices: number[];
  run: boolean;
  agentStatus: "provisioning" | "running" | "failed" | null;
  resources: Record<string, string> | null;
  deployment: unknown;
};

/** A page of assignment changes, as the socket sends it. */
export type AssignmentsPage = {
  type: "assignments";
  nodeId: string;
  cursor: string;
  reset: boolean;
  more: boolean;
  sentAt: string;
  assignments: Assignment[];
  removed: { leaseId: string; seq: number; endedAt: string }[];
};

/** Where the node's workloads run: a container or VM runtime in a real agent. */
export type Runtime = {
  /** Starts (or finds running) the lease's workload; resolves with how it went. */
  start(assignment: Assignment): Promise<"running" | "failed">;
  /** Stops the lease's workload (its data kept unless `forget`). */
  stop(leaseId: string, forget: boolean): Promise<void>;
};

/** The reference runtime: nothing runs; a lease "runs" once started, after `startDelayMs`. */
export function simulatedRuntime(startDelayMs = 0): Runtime {
  return {
    async start(assignment) {
      if (startDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, startDelayMs));
      const deployment = assignment.deployment as { simulate?: unknown } | null;
      return deployment !== null && typeof deployment === "object" && deployment.simulate === "fail"
        ? "failed"
        : "running";
    },
    async stop() {},
  };
}

export type AgentOptions = {
  baseUrl: string;
  nodeId: string;
  key: string;
  /** Between heartbeats (0: none). */
  heartbeatMs?: number;
  /** A JSON file keeping the last applied cursor across restarts (null: memory only). */
  stateFile?: string | null;
  runtime?: Runtime;
  log?: (line: string) => void;
  /** Called with every page as it arrives, before it is applied (benchmarks time the feed here). */
  onPage?: (page: AssignmentsPage, receivedAtMs: number) => void;
  /** Longest wait between reconnection attempts. */
  reconnectMsMax?: number;
  /** Start, report and acknowledge (true), or only receive pages (false: a watcher). */
  act?: boolean;
};

/** A local lease: what the agent runs, and what it last told the book. */
type LocalLease = { assignment: Assignment; state: "running" | "failed" | "stopped" };

/** Longest time one HTTP call of the agent may take. */
const requestTimeoutMs = 15_000;

export class NodeAgent {
  readonly leases = new Map<string, LocalLease>();
  cursor: string | null = null;
  private socket: WebSocket | null = null;
  private stopped = false;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private queue: Promise<void> = Promise.resolve();
  /** While a reset snapshot spans several pages: the leases it named so far. */
  private snapshot: Set<string> | null = null;
  private reconnectMs = 500;
  private firstPage: (() => void) | null = null;
  private readonly runtime: Runtime;
  private readonly log: (line: string) => void;

  constructor(private readonly options: AgentOptions) {
    this.runtime = options.runtime ?? simulatedRuntime();
    this.log = options.log ?? ((line) => console.log(`[agent ${options.nodeId}] ${line}`));
    this.cursor = this.readState();
  }

  /** Connects and resolves once the first page (the state of the node) has arrived. */
  start(): Promise<void> {
    const ready = new Promise<void>((resolve) => {
      this.firstPage = resolve;
    });
    this.connect();
    const heartbeatMs = this.options.heartbeatMs ?? 60_000;
    if (heartbeatMs > 0) this.heartbeat = setInterval(() => void this.sendHeartbeat(), heartbeatMs);
    return ready;
  }

  /** Closes the socket and stops the heartbeat (the workloads keep running). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.socket?.close(1000, "agent stopping");
    await this.queue;
  }

  /** Waits until every page received so far has been applied. */
  idle(): Promise<void> {
    return this.queue;
  }

  private connect(): void {
    const url = new URL(`/v1/nodes/${this.options.nodeId}/agent`, this.options.baseUrl);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("after", this.cursor ?? "0");
    // Node 22's WebSocket (undici) takes request headers in its second argument.
    const socket = new WebSocket(url.toString(), {
      headers: { authorization: `Bearer ${this.options.key}` },
    } as never);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.reconnectMs = 500;
      this.log(`connected, resuming after cursor ${this.cursor ?? "0 (from scratch)"}`);
    });
    socket.addEventListener("message", (event) => {
      const receivedAtMs = Date.now();
      const text = String(event.data);
      if (text === "pong") return;
      const message = JSON.parse(text) as AssignmentsPage | { type: "error"; detail: string };
      if (message.type === "error") {
        this.log(`the book refused a message: ${message.detail}`);
        return;
      }
      this.options.onPage?.(message, receivedAtMs);
      this.queue = this.queue
        .then(() => this.apply(message))
        .catch((error: unknown) => this.log(`apply: ${String(error)}`));
    });
    socket.addEventListener("close", (event) => {
      if (this.stopped) return;
      this.log(`socket closed (${event.code}); reconnecting in ${this.reconnectMs} ms`);
      setTimeout(() => this.connect(), this.reconnectMs);
      this.reconnectMs = Math.min(this.reconnectMs * 2, this.options.reconnectMsMax ?? 30_000);
    });
    socket.addEventListener("error", () => undefined);
  }

  /** Applies one page, in order with the others (see the module comment). */
  private async apply(page: AssignmentsPage): Promise<void> {
    const act = this.options.act ?? true;
    if (page.reset) this.snapshot = new Set();
    for (const assignment of page.assignments) {
      this.snapshot?.add(assignment.leaseId);
      if (act) await this.applyAssignment(assignment);
      else this.leases.set(assignment.leaseId, { assignment, state: assignment.run ? "running" : "stopped" });
    }
    for (const removal of page.removed) await this.forget(removal.leaseId, act);
    if (this.snapshot !== null && !page.more) {
      const named = this.snapshot;
      this.snapshot = null;
      for (const leaseId of [...this.leases.keys()]) if (!named.has(leaseId)) await this.forget(leaseId, act);
    }
    this.cursor = page.cursor;
    this.writeState();
    if (act) this.send({ type: "ack", cursor: page.cursor });
    if (page.more) this.send({ type: "resume", after: page.cursor });
    this.log(
      `cursor ${page.cursor}: ${page.assignments.length} changed, ${page.removed.length} removed${page.reset ? " (from scratch)" : ""}; running ${[...this.leases.values()].filter((lease) => lease.state === "running").length}`,
    );
    this.firstPage?.();
    this.firstPage = null;
  }

  private async applyAssignment(assignment: Assignment): Promise<void> {
    const local = this.leases.get(assignment.leaseId);
    if (!assignment.run) {
      if (local?.state === "running") await this.runtime.stop(assignment.leaseId, false);
      this.leases.set(assignment.leaseId, { assignment, state: "stopped" });
      return;
    }
    if (local?.state === "running" || local?.state === "failed") {
      local.assignment = assignment;
      // Handed to the node anew (after it was offline): it still runs here, so say so again.
      if (assignment.agentStatus !== local.state) await this.report(assignment.leaseId, local.state);
      return;
    }
    const outcome = await this.runtime.start(assignment);
    this.leases.set(assignment.leaseId, { assignment, state: outcome });
    this.log(`lease ${assignment.leaseId} ${outcome} on slices ${assignment.sliceIndices.join(",")}`);
    await this.report(assignment.leaseId, outcome);
  }

  private async forget(leaseId: string, act: boolean): Promise<void> {
    const local = this.leases.get(leaseId);
    if (local === undefined) return;
    if (act && local.state === "running") await this.runtime.stop(leaseId, true);
    this.leases.delete(leaseId);
    this.log(`lease ${leaseId} removed`);
  }

  /** Reports a lease's status; a lease the book no longer has (404, 409) is forgotten. */
  async report(leaseId: string, status: "provisioning" | "running" | "failed" | "stopped"): Promise<void> {
    const response = await this.request(
      "PUT",
      `/v1/nodes/${this.options.nodeId}/assignments/${leaseId}/status`,
      {
        status,
      },
    );
    if (response.status === 404 || response.status === 409) this.leases.delete(leaseId);
    else if (!response.ok)
      this.log(`report ${leaseId} ${status}: ${response.status} ${await response.text()}`);
  }

  /** A heartbeat with the agent's view of the leases it runs. */
  async sendHeartbeat(): Promise<void> {
    const leases = [...this.leases.entries()]
      .filter(([, local]) => local.state !== "stopped")
      .map(([leaseId, local]) => ({ leaseId, status: local.state }));
    const response = await this.request("POST", `/v1/nodes/${this.options.nodeId}/heartbeat`, {
      leases,
    }).catch((error: unknown) => {
      this.log(`heartbeat failed: ${String(error)}`);
      return null;
    });
    if (response && !response.ok) this.log(`heartbeat: ${response.status} ${await response.text()}`);
  }

  private request(method: string, path: string, body: unknown): Promise<Response> {
    return fetch(new URL(path, this.options.baseUrl), {
      method,
      headers: { authorization: `Bearer ${this.options.key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
  }

  private send(message: unknown): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  /** The cursor and local leases kept by the last run (its workloads outlive it), if any. */
  private readState(): string | null {
    if (!this.options.stateFile) return null;
    try {
      const state = JSON.parse(readFileSync(this.options.stateFile, "utf8")) as {
        cursor: string | null;
        leases?: [string, LocalLease][];
      };
      for (const [leaseId, local] of state.leases ?? []) this.leases.set(leaseId, local);
      return state.cursor;
    } catch {
      return null;
    }
  }

  private writeState(): void {
    if (!this.options.stateFile) return;
    writeFileSync(
      this.options.stateFile,
      JSON.stringify({ cursor: this.cursor, leases: [...this.leases.entries()] }),
    );
  }
}

const usage = `usage: npm run agent -- --node <node id> --key <node key> [--url <base url>] [--heartbeat-seconds 60]
                        [--state <file>] [--start-delay-ms 0] [--quiet]
The key may be given as TFGRID_NODE_KEY instead; the URL as TFGRID_URL (default http://127.0.0.1:8787).`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      node: { type: "string" },
      key: { type: "string" },
      url: { type: "string" },
      "heartbeat-seconds": { type: "string", default: "60" },
      state: { type: "string" },
      "start-delay-ms": { type: "string", default: "0" },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  const key = values.key ?? process.env.TFGRID_NODE_KEY;
  const heartbeatSeconds = Number(values["heartbeat-seconds"]);
  const startDelayMs = Number(values["start-delay-ms"]);
  if (values.help || !values.node || !key || !(heartbeatSeconds >= 0) || !(startDelayMs >= 0)) {
    console.error(usage);
    process.exit(values.help ? 0 : 2);
  }
  const agent = new NodeAgent({
    baseUrl: values.url ?? process.env.TFGRID_URL ?? "http://127.0.0.1:8787",
    nodeId: values.node,
    key,
    heartbeatMs: heartbeatSeconds * 1000,
    stateFile: values.state ?? null,
    runtime: simulatedRuntime(startDelayMs),
    ...(values.quiet ? { log: () => undefined } : {}),
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void agent.stop().then(() => process.exit(0));
    });
  }
  await agent.start();
  await agent.sendHeartbeat();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
