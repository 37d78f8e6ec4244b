/**
 * `npm run dev`: the whole service on this machine, nothing installed by hand.
 * Starts the project's libSQL server on .data/dev.db, applies the migrations, seeds demo data
 * (idempotently), runs `wrangler dev` on 127.0.0.1 with scheduled-event testing on, and prints the
 * URLs, the admin key, the demo owners' keys and ids and the webhook secrets once the API answers
 * (tools/stack.ts does the work; the keys and secrets are generated once and kept in .data/). PORT
 * (default 8787), LIBSQL_PORT (default 8081) and ADMIN_API_KEY (to fix the admin key) are honoured;
 * STRIPE_WEBHOOK_SECRET, BRIDGE_WEBHOOK_SECRET (instead of the generated ones, e.g. the secret
 * `stripe listen` prints), STRIPE_SECRET_KEY, STRIPE_API_BASE, CHECKOUT_SUCCESS_URL and
 * CHECKOUT_CANCEL_URL (real card checkout) are passed to the Worker when set. With
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

/** Settings passed through to the Worker from this environment when set. */
const passedThrough = [
  "STRIPE_WEBHOOK_SECRET",
  "BRIDGE_WEBHOOK_SECRET",
  "STRIPE_SECRET_KEY",
  "STRIPE_API_BASE",
  "CHECKOUT_SUCCESS_URL",
  "CHECKOUT_CANCEL_URL",
] as const;
const vars = Object.fromEntries(
  passedThrough.flatMap((name) => {
    const value = process.env[name];
    return value === undefined || value === "" ? [] : [[name, value]];
  }),
);

const stack = await startDevStack({
  vars,
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

  Demo owners (keys and secrets are kept in .data/; delete .data/ to start afresh)
${stack.demoOwners
  .map(
    (owner) =>
      `  ${owner.role.padEnd(7)} ${owner.ownerId.padEnd(10)} ${owner.key}\n          accounts ${owner.accountIds.join(", ")}`,
  )
  .join("\n")}

  Webhook secrets (signed test deliveries: npm run webhook -- stripe|bridge …)
  Stripe        ${stack.webhookSecrets.stripe}${vars.STRIPE_WEBHOOK_SECRET ? "  (from STRIPE_WEBHOOK_SECRET)" : ""}
  TFT bridge    ${stack.webhookSecrets.bridge}${vars.BRIDGE_WEBHOOK_SECRET ? "  (from BRIDGE_WEBHOOK_SECRET)" : ""}
  Card checkout ${vars.STRIPE_SECRET_KEY ? "Stripe Checkout Sessions (STRIPE_SECRET_KEY set)" : "quotes only (set STRIPE_SECRET_KEY for Stripe Checkout)"}
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
