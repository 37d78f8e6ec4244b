/**
 * Benchmark: assignment changes delivered to 1,000 connected node agents. Runs the whole stack as
 * `npm run dev` does (wrangler dev on the Worker, the demo seed, the project's libSQL server),
 * registers `BENCH_AGENTS` nodes (default 1,000) each with its agent's key, and connects one
 * reference agent (tools/agent.ts, Node's WebSocket) per node to its book's live feed. Then users
 * reserve one lease on each node through `POST /v1/leases` at concurrency 32 (then 100 more, one
 * at a time, for the latency without queueing), and every agent times the page that brings its
 * lease. Figures:
 *
 * - latency from the lease's acceptance (its `startedAt`, the book's clock when it took the lease,
 *   before the lease's hold is written) to the agent's socket, p50 / p99 / max; split into the book's
 *   part (acceptance → the page sent, its `sentAt`: the hold's ledger write, the commit) and the
 *   socket's (sent → received);
 * - from the reservation's HTTP answer to the socket (negative: the page came before the answer);
 * - the time to connect the agents, and how many received their lease at all.
 *
 * The agents acknowledge each page and report their lease running (as the reference agent does),
 * so the books also take 1,000 reports during the run. Both clocks are this machine's.
 * `npm run bench agents`; BENCH_AGENTS sets the number of nodes and agents. Needs no network;
 * asserts nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { createApiKey } from "../../src/kit/auth";
import { randomBase62 } from "../../src/kit/ids";
import { createAccount } from "../../src/ledger/accounts";
import { createTransfers } from "../../src/ledger/store";
import { type AssignmentsPage, NodeAgent } from "../agent";
import { startDevStack } from "../stack";

const agentsCount = Number(process.env.BENCH_AGENTS ?? 1_000);
const concurrency = 32;
/** Users the leases are paid by (a stand-in for many customers; a key may make 1,200 requests a minute). */
const usersCount = 20;

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

function figures(label: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `${label}: p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p99 ${percentile(sorted, 0.99).toFixed(1)} ms, max ${(sorted[sorted.length - 1] ?? Number.NaN).toFixed(1)} ms (n=${sorted.length})`;
}

/** Runs `count` calls `parallel` at a time. */
async function pool(count: number, parallel: number, call: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      for (let index = next++; index < count; index = next++) await call(index);
    }),
  );
}

async function seedUsers(client: Client): Promise<string[]> {
  const keys: string[] = [];
  for (let index = 0; index < usersCount; index++) {
    const ownerId = `usr_agents${index}`;
    const key = `tfm_${randomBase62(12)}_${randomBase62(32)}`;
    await createApiKey(client, { ownerId, role: "user", name: "agents bench", plaintext: key });
    const account = await createAccount(client, { ownerId, asset: "CC", kind: "user" });
    const funded = await createTransfers(client, [
      {
        type: "posted",
        id: `agents_fund_${index}`,
        debitAccountId: "acc_issuance_cc",
        creditAccountId: account.id,
        asset: "CC",
        amountMinor: 1_000_000n * 1_000_000n,
        code: "bench_fund",
      },
    ]);
    if (!funded.ok) throw new Error(`funding ${ownerId}: ${funded.detail}`);
    keys.push(key);
  }
  return keys;
}

async function post<T>(url: string, key: string, body: unknown, idempotencyKey?: string): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

export async function run() {
  const directory = mkdtempSync(join(tmpdir(), "tfgrid-agents-bench-"));
  const stack = await startDevStack({
    port: 0,
    libsqlPort: 0,
    dataDir: directory,
    persistTo: join(directory, "state"),
    output: "pipe",
  });
  const client = createClient({ url: stack.libsqlUrl, intMode: "bigint" });
  const lines: string[] = [
    `wrangler dev (workerd) on the Worker with the demo seed and local libSQL; ${agentsCount} nodes, one reference agent each (Node WebSocket), one lease reserved per node at concurrency ${concurrency}`,
  ];
  const agents: NodeAgent[] = [];
  try {
    const users = await seedUsers(client);
    // A farmer per 100 nodes: a key may make 1,200 requests a minute (wrangler.toml [[ratelimits]]).
    const farmerKeys: string[] = [];
    for (let index = 0; index < Math.ceil(agentsCount / 100); index++) {
      const key = `tfm_${randomBase62(12)}_${randomBase62(32)}`;
      await createApiKey(client, {
        ownerId: `frm_agents${index}`,
        role: "farmer",
        name: "agents bench",
        plaintext: key,
      });
      farmerKeys.push(key);
    }
    const nodes: { id: string; key: string }[] = [];
    const seedStarted = performance.now();
    await pool(agentsCount, concurrency, async (index) => {
      const farmerKey = farmerKeys[index % farmerKeys.length]!;
      const node = await post<{ id: string }>(`${stack.baseUrl}/v1/nodes`, farmerKey, {
        name: `agents bench ${index}`,
        catalogueId: "3node-home",
        region: "bench-agents",
        sliceCount: 7,
        pricePerSliceMonth: "3",
        pricePerSliceHour: "0.01",
      });
      const created = await post<{ key: string }>(`${stack.baseUrl}/v1/nodes/${node.id}/keys`, farmerKey, {});
      nodes[index] = { id: node.id, key: created.key };
    });
    lines.push(
      `setup: ${agentsCount} nodes registered with their keys in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
    );

    /** When each lease's first page reached its agent, and that page's send time. */
    const arrivals = new Map<string, { receivedAtMs: number; sentAtMs: number }>();
    const onPage = (page: AssignmentsPage, receivedAtMs: number) => {
      for (const assignment of page.assignments) {
        if (!arrivals.has(assignment.leaseId)) {
          arrivals.set(assignment.leaseId, { receivedAtMs, sentAtMs: Date.parse(page.sentAt) });
        }
      }
    };
    const connectStarted = performance.now();
    await pool(agentsCount, concurrency, async (index) => {
      const node = nodes[index]!;
      const agent = new NodeAgent({
        baseUrl: stack.baseUrl,
        nodeId: node.id,
        key: node.key,
        heartbeatMs: 0,
        log: () => undefined,
        onPage,
      });
      agents.push(agent);
      await agent.start();
    });
    lines.push(
      `connect: ${agentsCount} agents connected and given their node's state in ${((performance.now() - connectStarted) / 1000).toFixed(1)} s`,
    );

    /** Reserves one lease on each of `count` nodes from `first`, `parallel` at a time, and times their delivery. */
    const phase = async (label: string, first: number, count: number, parallel: number) => {
      const reservations = new Map<string, { startedAtMs: number; answeredAtMs: number }>();
      const started = performance.now();
      let failures = 0;
      await pool(count, parallel, async (offset) => {
        const index = first + offset;
        try {
          const lease = await post<{ id: string; startedAt: string }>(
            `${stack.baseUrl}/v1/leases`,
            users[index % users.length]!,
            {
              nodeId: nodes[index % nodes.length]!.id,
              slices: 1,
              durationHours: 1,
              deployment: { image: "bench", index },
            },
            `agents-bench-${index}-${randomBase62(8)}`,
          );
          reservations.set(lease.id, { startedAtMs: Date.parse(lease.startedAt), answeredAtMs: Date.now() });
        } catch (error) {
          failures += 1;
          if (failures === 1) console.error(String(error));
        }
      });
      const seconds = (performance.now() - started) / 1000;
      // Give the last pages a moment to arrive.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && [...reservations.keys()].some((id) => !arrivals.has(id))) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await Promise.all(agents.map((agent) => agent.idle()));
      const fromAcceptance: number[] = [];
      const bookPart: number[] = [];
      const socketPart: number[] = [];
      const fromAnswer: number[] = [];
      for (const [leaseId, reservation] of reservations) {
        const arrival = arrivals.get(leaseId);
        if (!arrival) continue;
        fromAcceptance.push(arrival.receivedAtMs - reservation.startedAtMs);
        bookPart.push(arrival.sentAtMs - reservation.startedAtMs);
        socketPart.push(arrival.receivedAtMs - arrival.sentAtMs);
        fromAnswer.push(arrival.receivedAtMs - reservation.answeredAtMs);
      }
      lines.push(
        `${label}: ${reservations.size} reservations in ${seconds.toFixed(1)} s (${(reservations.size / seconds).toFixed(0)}/s)${failures ? `, ${failures} refused` : ""}; delivered to their agent: ${fromAcceptance.length}`,
      );
      lines.push(`  ${figures("acceptance → agent's socket", fromAcceptance)}`);
      lines.push(`    ${figures("of which acceptance → page sent (hold written, committed)", bookPart)}`);
      lines.push(`    ${figures("of which page sent → received", socketPart)}`);
      lines.push(`  ${figures("reservation's HTTP answer → agent's socket", fromAnswer)}`);
    };
    await phase(`concurrency ${concurrency}, one lease per node`, 0, agentsCount, concurrency);
    await phase(
      "one at a time (no queueing), a second lease on 100 nodes",
      agentsCount,
      Math.min(100, agentsCount),
      1,
    );
    const running = agents.reduce(
      (total, agent) =>
        total + [...agent.leases.values()].filter((lease) => lease.state === "running").length,
      0,
    );
    lines.push(`agents running their lease (reported running): ${running}`);
  } finally {
    await Promise.all(agents.map((agent) => agent.stop()));
    client.close();
    await stack.stop();
    rmSync(directory, { recursive: true, force: true });
  }
  return { name: "agents", lines };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run();
  console.log(result.lines.join("\n"));
}
