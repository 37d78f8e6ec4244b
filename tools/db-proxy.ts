/**
 * A counting, delaying HTTP proxy in front of a libSQL server (Hrana over HTTP), for measuring
 * database round trips: one HTTP request to the database is one round trip (a Hrana pipeline or
 * batch is one request), whatever it carries. Each forwarded request can wait `delayMs` before it is
 * sent on, standing in for the distance between a Worker and a remote database.
 *
 * Its own endpoints, answered without reaching the database (so code inside workerd, a test or a
 * bench can read and reset the figure):
 *   GET  /__stats        → {"requests": n, "delayMs": d}
 *   POST /__stats/reset  → {"requests": 0, "delayMs": d}  (the count restarts at 0)
 *   POST /__delay?ms=50  → {"requests": n, "delayMs": 50} (the delay from now on)
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type DbProxyOptions = {
  /** The server requests are forwarded to, e.g. `http://127.0.0.1:8081`. */
  readonly target: string;
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Milliseconds each forwarded request waits before it is sent on (default 0). */
  readonly delayMs?: number;
};

export type DbProxy = {
  /** Base URL to give the Worker as LIBSQL_URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Requests forwarded to the database since the start or the last reset. */
  requests(): number;
  reset(): void;
  setDelay(ms: number): void;
  close(): Promise<void>;
};

/** Headers a hop must not pass on (RFC 9110 §7.6.1), plus the ones fetch sets itself. */
const hopHeaders = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "host",
  "content-length",
]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function validDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`the delay must be a number ≥ 0, not ${ms}`);
  return ms;
}

/** Starts the proxy on 127.0.0.1; resolves once it listens. */
export async function startDbProxy(options: DbProxyOptions): Promise<DbProxy> {
  const target = options.target.replace(/\/+$/, "");
  let requests = 0;
  let delayMs = validDelay(options.delayMs ?? 0);

  const stats = (res: ServerResponse) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ requests, delayMs }));
  };

  async function forward(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const body = await readBody(req);
    requests += 1;
    if (delayMs > 0) await sleep(delayMs);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || hopHeaders.has(name)) continue;
      headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const method = req.method ?? "GET";
    const hasBody = method !== "GET" && method !== "HEAD";
    const response = await fetch(`${target}${path}`, {
      method,
      headers,
      ...(hasBody ? { body } : {}),
    });
    const answer = Buffer.from(await response.arrayBuffer());
    const outHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (!hopHeaders.has(name) && name !== "content-encoding") outHeaders[name] = value;
    });
    res.writeHead(response.status, outHeaders);
    res.end(answer);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://proxy.local");
    const method = req.method ?? "GET";
    if (url.pathname === "/__stats" && method === "GET") return stats(res);
    if (url.pathname === "/__stats/reset" && method === "POST") {
      requests = 0;
      return stats(res);
    }
    if (url.pathname === "/__delay" && method === "POST") {
      const ms = Number(url.searchParams.get("ms") ?? "");
      if (!Number.isInteger(ms) || ms < 0 || ms > 60_000) {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            message: "ms must be a whole number of milliseconds, 0–60000",
            code: "BAD_DELAY",
          }),
        );
        return;
      }
      delayMs = validDelay(ms);
      return stats(res);
    }
    return forward(req, res, `${url.pathname}${url.search}`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: `db-proxy: ${String(error)}`, code: "PROXY_FAILED" }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    reset() {
      requests = 0;
    },
    setDelay(ms) {
      delayMs = validDelay(ms);
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
