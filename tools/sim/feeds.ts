/**
 * Stand-in price feeds for the oracle: one local HTTP server answering
 * `GET /<kind>/<source>` with `{ "price": "<decimal>", "observedAtMs": <ms> }`, read by the
 * Worker's generic `json_path` adapter (ORACLE_SOURCES points at it). The simulation moves the
 * prices and switches sources down (HTTP 503) or stale (an old timestamp) by its seed.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type FeedKind = "gold" | "tft";
export type FeedMode = "ok" | "down" | "stale";

/** Sources per kind: the Worker's quorum (2) can be met, or missed when one is down. */
export const feedSourcesPerKind = 2;
/** How old a stale source's timestamp is (well past the oracle's 15-minute healthy window). */
export const feedStaleAgeMs = 6 * 3_600_000;

export type Feeds = {
  readonly url: string;
  /** ORACLE_SOURCES for the Worker. */
  readonly sourcesJson: string;
  readonly price: Record<FeedKind, string>;
  readonly modes: Record<string, FeedMode>;
  /** Requests answered, for the report. */
  served: number;
  /** Back to the initial prices with every source answering (each seed starts here). */
  reset(): void;
  close(): Promise<void>;
};

export async function startFeeds(initial: Record<FeedKind, string>): Promise<Feeds> {
  const price = { ...initial };
  const modes: Record<string, FeedMode> = {};
  const state = { served: 0 };
  const server: Server = createServer((incoming, outgoing) => {
    state.served += 1;
    const [, kind, source] = (incoming.url ?? "").split("/");
    if ((kind !== "gold" && kind !== "tft") || source === undefined) {
      outgoing.writeHead(404).end();
      return;
    }
    const mode = modes[`${kind}/${source}`] ?? "ok";
    if (mode === "down") {
      outgoing.writeHead(503, { "content-type": "text/plain" }).end("feed down");
      return;
    }
    // The feed's timestamp is the wall clock the Worker compares it with (not a choice).
    const observedAtMs = Date.now() - (mode === "stale" ? feedStaleAgeMs : 0);
    outgoing.writeHead(200, { "content-type": "application/json" });
    outgoing.end(JSON.stringify({ price: price[kind], observedAtMs }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const sources = (["gold", "tft"] as const).flatMap((kind) =>
    Array.from({ length: feedSourcesPerKind }, (_, index) => ({
      id: `sim-${kind}-${index}`,
      kind,
      url: `${url}/${kind}/${index}`,
      adapter: {
        type: "json_path",
        jsonPath: "price",
        unit: kind === "gold" ? "usd_per_gram" : "usd",
        timestampPath: "observedAtMs",
        timestampFormat: "unix_ms",
      },
    })),
  );
  return {
    url,
    sourcesJson: JSON.stringify(sources),
    price,
    modes,
    get served() {
      return state.served;
    },
    set served(value: number) {
      state.served = value;
    },
    reset() {
      Object.assign(price, initial);
      for (const source of Object.keys(modes)) delete modes[source];
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
