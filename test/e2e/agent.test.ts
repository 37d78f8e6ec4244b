// Proves the reference node agent against the real service (wrangler dev + libSQL, as `npm run dev` runs it): `npm run agent` connects to its node's feed, a lease reserved through the API reaches it over the socket, the agent reports it running and acknowledges the page, and the lease is charged from that report to its end, exactly (the provisioning time before it is not charged); its heartbeats reach the node; and after a restart it resumes from the cursor it kept, picking up a lease reserved and one ended while it was away.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { apiCall, baseUrl, createKey } from "./support";

const root = join(import.meta.dirname, "..", "..");
const hourMs = 3_600_000;
const directory = mkdtempSync(join(tmpdir(), "tfgrid-agent-e2e-"));
const stateFile = join(directory, "agent-state.json");
const userKey = inject("e2eDemoKeys").usr_alice!;
/** How long the agent's simulated runtime takes to start a lease. */
const startDelayMs = 1_000;

type Lease = {
  id: string;
  status: string;
  pausedReason: string | null;
  startedAt: string;
  charged: string;
  priceCcPerSliceHour: string;
};
type LeaseEvent = { type: string; at: string; details: Record<string, unknown> };

let nodeId: string;
let nodeKey: string;
let agent: RunningAgent | null = null;

/** `npm run agent` as a farmer runs it, with its output collected line by line. */
type RunningAgent = {
  process: ChildProcess;
  lines: string[];
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
};

function startAgent(): RunningAgent {
  const child = spawn(
    "npm",
    [
      "run",
      "-s",
      "agent",
      "--",
      "--node",
      nodeId,
      "--url",
      baseUrl,
      "--heartbeat-seconds",
      "2",
      "--state",
      stateFile,
      "--start-delay-ms",
      String(startDelayMs),
    ],
    // Its own process group, so stopping it interrupts npm and the agent under it alike.
    {
      cwd: root,
      env: { ...process.env, TFGRID_NODE_KEY: nodeKey },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const take = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n").filter(Boolean)) {
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  return {
    process: child,
    lines,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const seen = lines.find((line) => pattern.test(line));
        if (seen !== undefined) {
          resolve(seen);
          return;
        }
        const timer = setTimeout(
          () => reject(new Error(`the agent never printed ${pattern}; it printed:\n${lines.join("\n")}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      }),
  };
}

async function stopAgent(running: RunningAgent): Promise<void> {
  if (running.process.exitCode !== null) return;
  const exited = new Promise((resolve) => running.process.once("exit", resolve));
  // The group this test started (npm, its shell and the agent): Ctrl-C, as a farmer would stop it.
  if (running.process.pid !== undefined) process.kill(-running.process.pid, "SIGINT");
  await exited;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const leaseOf = (id: string) => apiCall<Lease>("GET", `/v1/leases/${id}`, { key: userKey });

async function reserveLease(): Promise<Lease> {
  return apiCall<Lease>("POST", "/v1/leases", {
    key: userKey,
    idempotencyKey: crypto.randomUUID(),
    body: {
      nodeId,
      slices: 2,
      durationHours: null,
      deployment: { image: "ghcr.io/example/app:1.4", replicas: 1 },
    },
  });
}

beforeAll(async () => {
  const farmerKey = await createKey("farmer", `frm_agent_${Date.now()}`);
  const node = await apiCall<{ id: string }>("POST", "/v1/nodes", {
    key: farmerKey,
    body: {
      name: "agent e2e node",
      catalogueId: "3node-home",
      region: "e2e-agents",
      sliceCount: 7,
      pricePerSliceMonth: "3",
      pricePerSliceHour: "0.01",
    },
  });
  nodeId = node.id;
  nodeKey = (
    await apiCall<{ key: string }>("POST", `/v1/nodes/${nodeId}/keys`, {
      key: farmerKey,
      body: { name: "e2e" },
    })
  ).key;
});

afterAll(async () => {
  if (agent) await stopAgent(agent);
  rmSync(directory, { recursive: true, force: true });
});

describe("the reference agent against the real service", { timeout: 120_000 }, () => {
  it("receives a reserved lease over its socket, reports it running, and the lease is charged from then", async () => {
    agent = startAgent();
    await agent.waitFor(/cursor \d+: 0 changed, 0 removed \(from scratch\)/);
    const lease = await reserveLease();
    expect(lease).toMatchObject({ status: "paused", pausedReason: "provisioning", charged: "0.000000" });
    await agent.waitFor(new RegExp(`lease ${lease.id} running on slices 0,1`));
    const running = await until(
      () => leaseOf(lease.id),
      (value) => value.status === "running",
    );
    expect(running.status).toBe("running");
    const assignments = await apiCall<{
      acknowledged: { cursor: string } | null;
      cursor: string;
      assignments: { leaseId: string; agentStatus: string; deployment: unknown }[];
    }>("GET", `/v1/nodes/${nodeId}/assignments`, { key: nodeKey });
    expect(assignments.assignments).toEqual([
      expect.objectContaining({
        leaseId: lease.id,
        agentStatus: "running",
        deployment: { image: "ghcr.io/example/app:1.4", replicas: 1 },
      }),
    ]);
    const acknowledged = await until(
      () =>
        apiCall<{ acknowledged: { cursor: string } | null; cursor: string }>(
          "GET",
          `/v1/nodes/${nodeId}/assignments`,
          { key: nodeKey },
        ),
      (value) => value.acknowledged?.cursor === value.cursor,
    );
    expect(acknowledged.acknowledged?.cursor).toBe(acknowledged.cursor);
    // Its heartbeats reach the node (with its view of the lease).
    const node = await until(
      () => apiCall<{ lastHeartbeatAt: string | null }>("GET", `/v1/nodes/${nodeId}`),
      (value) => value.lastHeartbeatAt !== null,
    );
    expect(node.lastHeartbeatAt).not.toBeNull();

    // Ended a moment later: charged for the time since its running report (the agent takes a second
    // to start it), not for the provisioning before it. The service's clock is left alone.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const ended = await apiCall<Lease & { endsAt: string }>("DELETE", `/v1/leases/${lease.id}`, {
      key: userKey,
    });
    const events = await apiCall<{ data: LeaseEvent[] }>("GET", `/v1/leases/${lease.id}/events?limit=200`, {
      key: userKey,
    });
    const resumed = events.data.find((event) => event.type === "resumed");
    expect(resumed, JSON.stringify(events.data)).toBeDefined();
    const provisioningMs = Date.parse(resumed!.at) - Date.parse(lease.startedAt);
    expect(provisioningMs).toBeGreaterThanOrEqual(startDelayMs);
    // 2 slices at 0.078125 CC per slice-hour (the demo peg), cumulative: floor(price × slices × running time).
    const minorFor = (ms: number) => (78_125n * 2n * BigInt(ms)) / BigInt(hourMs);
    const runningMs = Date.parse(ended.endsAt) - Date.parse(resumed!.at);
    expect(ended.priceCcPerSliceHour).toBe("0.078125");
    expect(ended.charged).toBe((Number(minorFor(runningMs)) / 1e6).toFixed(6));
    expect(minorFor(runningMs)).toBeGreaterThan(0n);
    expect(minorFor(runningMs + provisioningMs) - minorFor(runningMs)).toBeGreaterThanOrEqual(40n);
  });

  it("resumes from the cursor it kept after a restart, missing nothing", async () => {
    expect(agent).not.toBeNull();
    const kept = await reserveLease();
    await agent!.waitFor(new RegExp(`lease ${kept.id} running`));
    const ending = kept.id;
    await stopAgent(agent!);
    // While it is away: a lease ends and another is reserved.
    await apiCall("DELETE", `/v1/leases/${ending}`, { key: userKey });
    const missed = await reserveLease();
    agent = startAgent();
    await agent.waitFor(/connected, resuming after cursor \d+$/);
    await agent.waitFor(new RegExp(`lease ${missed.id} running`));
    await agent.waitFor(new RegExp(`lease ${ending} removed`));
    expect(agent.lines.some((line) => line.includes("from scratch"))).toBe(false);
    expect(
      (
        await until(
          () => leaseOf(missed.id),
          (value) => value.status === "running",
        )
      ).status,
    ).toBe("running");
  });
});
