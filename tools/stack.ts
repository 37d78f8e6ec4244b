/**
 * The whole local service as one call, shared by `npm run dev` (tools/dev.ts) and the browser
 * end-to-end tests (test/setup/e2e.ts): the project's libSQL server on a file database, the
 * migrations, the demo seed (with an admin key and a key per demo owner), and `wrangler dev` on
 * 127.0.0.1 with the webhook secrets, ready once `GET /v1/health` answers 200. Port 0 means "a
 * free port chosen now".
 *
 * Generated once and kept in `dataDir` (git-ignored `.data/` for `npm run dev`, mode 0600): the admin
 * key (`admin-key.txt`), the demo owners' keys (`demo-keys.json`: keys are stored hashed, so the
 * plaintext is kept here, and the seed re-inserts any whose prefix the database lacks, e.g. after
 * `dev.db` was deleted alone) and the webhook secrets (`webhook-secrets.json`), which are passed to
 * wrangler with `--var` (no `.dev.vars` is written, so nothing else picks them up).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { randomBase62 } from "../src/kit/ids";
import { startLibsqlServer } from "./libsql-server/server";
import { migrateDatabase } from "./migrate";
import { demoAccountIdsOf, demoOwners, seedDemo } from "./seed";

const root = join(import.meta.dirname, "..");

/** The shape of an API key: `tfm_<12 base62>_<32 base62>`. */
export const adminKeyPattern = /^tfm_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/;

/** How long `startDevStack` waits for `GET /v1/health` before giving up. */
export const readyTimeoutMsDefault = 60_000;

/** Output lines of wrangler kept for an error message when it fails to start (piped mode). */
const outputLinesMax = 200;

export type DevStackOptions = {
  /** Port of the API and dashboard; 0 picks a free one. */
  readonly port: number;
  /** Port of the libSQL server; 0 picks a free one. Unused with `database`. */
  readonly libsqlPort: number;
  /**
   * A libSQL server this stack did not start (sqld, `turso dev`, Turso): migrated and seeded, then
   * served; nothing is started on `libsqlPort` and `dataDir/dev.db` is not used.
   */
  readonly database?: { readonly url: string; readonly authToken?: string };
  /** Directory of the database file (`dev.db`) and the generated admin key (`admin-key.txt`). */
  readonly dataDir: string;
  /** A fixed admin key (must match `adminKeyPattern`); default: kept in `dataDir/admin-key.txt`. */
  readonly adminKey?: string;
  /** wrangler's local state (Durable Object storage); default: wrangler's own `.wrangler/state`. */
  readonly persistTo?: string;
  /**
   * "inherit" shows wrangler's interactive output in this terminal (`npm run dev`); "pipe" keeps
   * it quiet, runs wrangler in its own process group, and puts its output in errors (tests).
   */
  readonly output?: "inherit" | "pipe";
  readonly readyTimeoutMs?: number;
  /**
   * Secrets and settings given to the Worker instead of the generated ones or in addition to them
   * (`npm run dev` passes STRIPE_WEBHOOK_SECRET, STRIPE_SECRET_KEY, STRIPE_API_BASE and
   * BRIDGE_WEBHOOK_SECRET from its environment, e.g. the secret `stripe listen` prints).
   */
  readonly vars?: Readonly<Record<string, string>>;
};

/** The webhook signing secrets the local Worker verifies with. */
export type DevWebhookSecrets = { readonly stripe: string; readonly bridge: string };

/** A demo owner of the seed (tools/seed.ts) with its API key and its account ids. */
export type DevDemoOwner = {
  readonly ownerId: string;
  readonly role: string;
  readonly key: string;
  readonly accountIds: readonly string[];
};

export type DevStack = {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  readonly libsqlUrl: string;
  readonly adminKey: string;
  readonly webhookSecrets: DevWebhookSecrets;
  readonly demoOwners: readonly DevDemoOwner[];
  /** Resolves with wrangler's exit code when it stops for any reason. */
  readonly exited: Promise<number | null>;
  /** Stops wrangler (and the workerd it started) and the libSQL server. Safe to call twice. */
  stop(): Promise<void>;
};

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

function adminKeyFor(options: DevStackOptions): string {
  if (options.adminKey !== undefined) {
    if (!adminKeyPattern.test(options.adminKey)) {
      throw new Error("the admin key must look like tfm_<12 letters or digits>_<32 letters or digits>");
    }
    return options.adminKey;
  }
  const file = join(options.dataDir, "admin-key.txt");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const key = newKeyPlaintext();
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** A new API key's plaintext: `tfm_<12 base62>_<32 base62>`. */
function newKeyPlaintext(): string {
  return `tfm_${randomBase62(12)}_${randomBase62(32)}`;
}

/** Reads `dataDir/<name>` as JSON, or null when it does not exist. */
function readKept(dataDir: string, name: string): unknown {
  const file = join(dataDir, name);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as unknown) : null;
}

function keep(dataDir: string, name: string, value: unknown): void {
  writeFileSync(join(dataDir, name), `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

/** A string-to-string record from a kept file, or {} when it is absent or not one. */
function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}

/**
 * The webhook secrets kept in `dataDir/webhook-secrets.json`, generated on first use: a Stripe-like
 * `whsec_…` and a bridge secret. Kept, so webhooks signed by `npm run webhook` keep verifying.
 */
export function devWebhookSecrets(dataDir: string): DevWebhookSecrets {
  const kept = stringRecord(readKept(dataDir, "webhook-secrets.json"));
  const secrets = {
    stripe: kept.stripe ?? `whsec_${randomBase62(32)}`,
    bridge: kept.bridge ?? `bridge_${randomBase62(32)}`,
  };
  if (kept.stripe !== secrets.stripe || kept.bridge !== secrets.bridge) {
    keep(dataDir, "webhook-secrets.json", secrets);
  }
  return secrets;
}

/** The demo owners' key plaintexts kept in `dataDir/demo-keys.json` (owner id → key), made on first use. */
export function devDemoKeys(dataDir: string): Record<string, string> {
  const kept = stringRecord(readKept(dataDir, "demo-keys.json"));
  const keys: Record<string, string> = {};
  for (const owner of demoOwners) {
    const existing = kept[owner.ownerId];
    keys[owner.ownerId] =
      existing !== undefined && adminKeyPattern.test(existing) ? existing : newKeyPlaintext();
  }
  if (demoOwners.some((owner) => kept[owner.ownerId] !== keys[owner.ownerId])) {
    keep(dataDir, "demo-keys.json", keys);
  }
  return keys;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForHealth(
  baseUrl: string,
  child: ChildProcess,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `wrangler dev exited (${child.exitCode ?? child.signalCode}) before it was ready\n${output()}`,
      );
    }
    try {
      const response = await fetch(`${baseUrl}/v1/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(150);
  }
  throw new Error(`wrangler dev did not answer ${baseUrl}/v1/health within ${timeoutMs} ms\n${output()}`);
}

/**
 * Starts libSQL on `dataDir/dev.db` (or uses `database`), migrates, seeds the demo data, spawns `wrangler dev` on
 * 127.0.0.1 (scheduled events testable) and resolves once `/v1/health` is 200. On any failure
 * everything started so far is stopped before the error is thrown.
 */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  mkdirSync(options.dataDir, { recursive: true });
  const adminKey = adminKeyFor(options);
  const generated = devWebhookSecrets(options.dataDir);
  const webhookSecrets: DevWebhookSecrets = {
    stripe: options.vars?.STRIPE_WEBHOOK_SECRET ?? generated.stripe,
    bridge: options.vars?.BRIDGE_WEBHOOK_SECRET ?? generated.bridge,
  };
  const ownerKeys = devDemoKeys(options.dataDir);
  const vars: Record<string, string> = {
    ...options.vars,
    STRIPE_WEBHOOK_SECRET: webhookSecrets.stripe,
    BRIDGE_WEBHOOK_SECRET: webhookSecrets.bridge,
  };
  const port = options.port === 0 ? await freePort() : options.port;
  const inspectorPort = await freePort();
  const server =
    options.database === undefined
      ? await startLibsqlServer({ file: join(options.dataDir, "dev.db"), port: options.libsqlPort })
      : { url: options.database.url, close: async () => undefined };
  const authToken = options.database?.authToken;
  const baseUrl = `http://127.0.0.1:${port}`;
  const piped = options.output === "pipe";
  let wrangler: ChildProcess | undefined;
  const lines: string[] = [];
  const output = () => lines.join("");

  const stopWrangler = async () => {
    const child = wrangler;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const signal = (name: NodeJS.Signals) => {
      try {
        // Piped mode runs wrangler in its own process group: signal the group (wrangler and its workerd).
        if (piped && child.pid !== undefined) process.kill(-child.pid, name);
        else child.kill(name);
      } catch {
        // already gone
      }
    };
    signal("SIGTERM");
    const timer = setTimeout(() => signal("SIGKILL"), 5_000);
    await gone;
    clearTimeout(timer);
  };

  try {
    await migrateDatabase(server.url, authToken);
    const client = createClient({ url: server.url, ...(authToken ? { authToken } : {}), intMode: "bigint" });
    try {
      await seedDemo(client, adminKey, ownerKeys);
    } finally {
      client.close();
    }
    const args = [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--test-scheduled",
      "--var",
      `LIBSQL_URL:${server.url}`,
      ...(authToken ? ["--var", `LIBSQL_AUTH_TOKEN:${authToken}`] : []),
      ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
      ...(options.persistTo === undefined ? [] : ["--persist-to", options.persistTo]),
      ...(piped ? ["--show-interactive-dev-session=false", "--log-level", "warn"] : []),
    ];
    const child = spawn(join(root, "node_modules", ".bin", "wrangler"), args, {
      cwd: root,
      stdio: piped ? ["ignore", "pipe", "pipe"] : "inherit",
      detached: piped,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    });
    wrangler = child;
    const keep = (chunk: Buffer) => {
      lines.push(chunk.toString("utf8"));
      if (lines.length > outputLinesMax) lines.shift();
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    await waitForHealth(baseUrl, child, options.readyTimeoutMs ?? readyTimeoutMsDefault, output);
  } catch (error) {
    await stopWrangler();
    await server.close();
    throw error;
  }

  const child = wrangler;
  if (child === undefined) throw new Error("wrangler dev was not started");
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
  let stopped: Promise<void> | undefined;
  return {
    baseUrl,
    libsqlUrl: server.url,
    adminKey,
    webhookSecrets,
    demoOwners: demoOwners.map((owner) => ({
      ownerId: owner.ownerId,
      role: owner.role,
      key: ownerKeys[owner.ownerId] ?? "",
      accountIds: demoAccountIdsOf(owner.ownerId),
    })),
    exited,
    stop() {
      stopped ??= (async () => {
        await stopWrangler();
        await server.close();
      })();
      return stopped;
    },
  };
}
