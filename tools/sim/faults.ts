/**
 * The fault layer in front of the libSQL server: an HTTP proxy on 127.0.0.1 that the Worker and
 * its Durable Objects use as their database. Per request it asks the current plan what to do:
 * pass it through, delay it, answer 500 or 503 without running it, drop the connection before
 * running it, or run it and then drop the connection (the write happened, the caller never hears:
 * the fault that tests idempotent retries hardest). A switch makes the database unreachable.
 * Decisions come from a seeded stream the simulation sets per step, so a seed replays.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Prng } from "./prng";

export const faultKinds = [
  "delay",
  "error500",
  "error503",
  "dropBefore",
  "dropAfter",
  "unreachable",
] as const;
export type FaultKind = (typeof faultKinds)[number];

/** Longest injected delay; real time, kept short so a run stays fast. */
export const faultDelayMsMax = 40;
/** Largest request body the proxy buffers (the libSQL server's own limit is lower). */
const proxyBodyBytesMax = 16 * 1024 * 1024;

export type FaultPlan = {
  /** Probability that one database request meets a fault while the plan is armed. */
  readonly rate: number;
  readonly random: Prng;
};

export type FaultProxy = {
  readonly url: string;
  /** Faults injected so far, by kind. */
  readonly counts: Record<FaultKind, number>;
  /** Requests that went through. */
  passed: number;
  /** Arms (or with null disarms) the per-request fault decisions. */
  arm(plan: FaultPlan | null): void;
  /** While true every request is dropped, as if the database were down. */
  setUnreachable(unreachable: boolean): void;
  /**
   * Runs `hook` at the next database request (which is then dropped), or with null cancels it: lets the simulation
   * restart workerd while a call is inside the Worker or a Durable Object.
   */
  interceptNext(hook: (() => void) | null): void;
  close(): Promise<void>;
};

function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    incoming.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > proxyBodyBytesMax) {
        reject(new Error("request body too large for the fault proxy"));
        incoming.destroy();
        return;
      }
      chunks.push(chunk);
    });
    incoming.on("end", () => resolve(Buffer.concat(chunks)));
    incoming.on("error", reject);
  });
}

/** Starts the proxy in front of `upstreamUrl` (`http://127.0.0.1:<port>`). */
export async function startFaultProxy(upstreamUrl: string): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  let plan: FaultPlan | null = null;
  let unreachable = false;
  let intercept: (() => void) | null = null;
  const counts = Object.fromEntries(faultKinds.map((kind) => [kind, 0])) as Record<FaultKind, number>;
  const state = { passed: 0 };

  const decide = (): FaultKind | null => {
    if (unreachable) return "unreachable";
    if (plan === null || !plan.random.chance(plan.rate)) return null;
    return plan.random.weighted({ delay: 3, error500: 2, error503: 2, dropBefore: 2, dropAfter: 2 });
  };

  const server: Server = createServer((incoming, outgoing) => {
    void (async () => {
      const body = await readBody(incoming);
      if (intercept !== null) {
        const hook = intercept;
        intercept = null;
        hook();
        incoming.socket.destroy();
        return;
      }
      const fault = decide();
      if (fault !== null) counts[fault] += 1;
      if (fault === "unreachable" || fault === "dropBefore") {
        incoming.socket.destroy();
        return;
      }
      if (fault === "error500" || fault === "error503") {
        outgoing.writeHead(fault === "error500" ? 500 : 503, { "content-type": "text/plain" });
        outgoing.end("injected fault");
        return;
      }
      if (fault === "delay" && plan !== null) {
        await new Promise((resolve) => setTimeout(resolve, 1 + plan!.random.int(faultDelayMsMax)));
      }
      const forwarded = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: upstream.host },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => chunks.push(chunk));
          answer.on("end", () => {
            if (fault === "dropAfter") {
              // The statement ran; the caller only sees a broken connection.
              incoming.socket.destroy();
              return;
            }
            state.passed += 1;
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            outgoing.end(Buffer.concat(chunks));
          });
        },
      );
      forwarded.on("error", () => incoming.socket.destroy());
      forwarded.end(body);
    })().catch(() => incoming.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    get passed() {
      return state.passed;
    },
    set passed(value: number) {
      state.passed = value;
    },
    arm(next) {
      plan = next;
    },
    setUnreachable(next) {
      unreachable = next;
    },
    interceptNext(hook) {
      intercept = hook;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
