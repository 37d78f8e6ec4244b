/**
 * `npm run dev`: the whole service on this machine, nothing installed by hand.
 * Starts the project's libSQL server on .data/dev.db, applies the migrations, seeds demo data
 * (idempotently), prints the URLs and the admin key, then runs `wrangler dev` on 127.0.0.1 with
 * scheduled-event testing on. PORT (default 8787), LIBSQL_PORT (default 8081) and
 * ADMIN_API_KEY (to fix the admin key) are honoured. Ctrl-C stops everything it started.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { randomBase62 } from "../src/lib/ids";
import { startLibsqlServer } from "./libsql-server/server";
import { migrateDatabase } from "./migrate";
import { seedDemo } from "./seed";

const root = join(import.meta.dirname, "..");
const dataDirectory = join(root, ".data");
const port = Number(process.env.PORT ?? 8787);
const libsqlPort = Number(process.env.LIBSQL_PORT ?? 8081);
const keyPattern = /^tfm_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/;

function adminKey(): string {
  const fixed = process.env.ADMIN_API_KEY;
  if (fixed) {
    if (!keyPattern.test(fixed)) {
      console.error("ADMIN_API_KEY must look like tfm_<12 letters or digits>_<32 letters or digits>");
      process.exit(2);
    }
    return fixed;
  }
  const file = join(dataDirectory, "admin-key.txt");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const key = `tfm_${randomBase62(12)}_${randomBase62(32)}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

mkdirSync(dataDirectory, { recursive: true });
const server = await startLibsqlServer({ file: join(dataDirectory, "dev.db"), port: libsqlPort });
await migrateDatabase(server.url);
const key = adminKey();
const client = createClient({ url: server.url, intMode: "bigint" });
await seedDemo(client, key);
client.close();

console.log(`
  libSQL        ${server.url}  (file .data/dev.db)
  API           http://127.0.0.1:${port}/v1/health
  API docs      http://127.0.0.1:${port}/docs
  Dashboard     http://127.0.0.1:${port}/
  Cron (oracle) http://127.0.0.1:${port}/__scheduled?cron=*/5+*+*+*+*
  Admin key     ${key}
`);

const wrangler = spawn(
  join(root, "node_modules", ".bin", "wrangler"),
  [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--test-scheduled",
    "--var",
    `LIBSQL_URL:${server.url}`,
  ],
  {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  },
);

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  if (wrangler.exitCode === null) wrangler.kill("SIGTERM");
  await server.close();
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
wrangler.on("exit", (code) => void stop(code ?? 0));
