/**
 * `npm run dev`: the whole service on this machine, nothing installed by hand.
 * Starts the project's libSQL server on .data/dev.db, applies the migrations, seeds demo data
 * (idempotently), runs `wrangler dev` on 127.0.0.1 with scheduled-event testing on, and prints the
 * URLs and the admin key once the API answers (tools/stack.ts does the work). PORT (default 8787),
 * LIBSQL_PORT (default 8081) and ADMIN_API_KEY (to fix the admin key) are honoured. With
 * LIBSQL_URL set (and LIBSQL_AUTH_TOKEN for a server that wants one), it starts no libSQL server:
 * it migrates, seeds and serves that database (sqld, `turso dev`, a Turso database). Ctrl-C stops
 * everything it started.
 */
import { join } from "node:path";
import { adminKeyPattern, startDevStack } from "./stack";

const root = join(import.meta.dirname, "..");
const port = Number(process.env.PORT ?? 8787);
const libsqlPort = Number(process.env.LIBSQL_PORT ?? 8081);
const fixedAdminKey = process.env.ADMIN_API_KEY;
const externalUrl = process.env.LIBSQL_URL;
const externalToken = process.env.LIBSQL_AUTH_TOKEN;

if (fixedAdminKey !== undefined && fixedAdminKey !== "" && !adminKeyPattern.test(fixedAdminKey)) {
  console.error("ADMIN_API_KEY must look like tfm_<12 letters or digits>_<32 letters or digits>");
  process.exit(2);
}

const stack = await startDevStack({
  port,
  libsqlPort,
  dataDir: join(root, ".data"),
  ...(fixedAdminKey ? { adminKey: fixedAdminKey } : {}),
  ...(externalUrl
    ? { database: { url: externalUrl, ...(externalToken ? { authToken: externalToken } : {}) } }
    : {}),
  output: "inherit",
});

console.log(`
  libSQL        ${stack.libsqlUrl}  (${externalUrl ? "LIBSQL_URL, not started here" : "file .data/dev.db"})
  API           ${stack.baseUrl}/v1/health
  API docs      ${stack.baseUrl}/docs
  Dashboard     ${stack.baseUrl}/
  Cron (oracle) ${stack.baseUrl}/__scheduled?cron=*/5+*+*+*+*
  Admin key     ${stack.adminKey}
`);

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
void stack.exited.then((code) => stop(code ?? 0));
