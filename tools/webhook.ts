/**
 * `npm run webhook -- stripe|bridge …`: sends one signed webhook delivery to the running local
 * service (`npm run dev`) and prints the answer. Stripe deliveries are signed by the official
 * `stripe` library (`webhooks.generateTestHeaderString`), bridge deliveries with the bridge's scheme
 * (`signBridgePayload`, HMAC-SHA256 over "<t>.<raw body>"), with the secrets `npm run dev` keeps in
 * .data/webhook-secrets.json (or STRIPE_WEBHOOK_SECRET / BRIDGE_WEBHOOK_SECRET from the environment).
 * The signature's timestamp is the service's clock (`GET /v1/dev/clock`, which follows
 * `POST /v1/dev/clock`), so deliveries verify after the dev clock was advanced. Usage: tools/webhook/events.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Stripe from "stripe";
import { bridgeSignatureHeader, signBridgePayload } from "../src/credits/bridge";
import {
  bridgeEventBody,
  parseWebhookCommand,
  stripeEventBody,
  type WebhookCommand,
  webhookUsage,
} from "./webhook/events";

const dataDir = join(import.meta.dirname, "..", ".data");

function kept(name: string): Record<string, unknown> | null {
  const file = join(dataDir, name);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : null;
}

function secretOf(provider: "stripe" | "bridge"): string {
  const fromEnv = process.env[provider === "stripe" ? "STRIPE_WEBHOOK_SECRET" : "BRIDGE_WEBHOOK_SECRET"];
  if (fromEnv) return fromEnv;
  const secret = kept("webhook-secrets.json")?.[provider];
  if (typeof secret !== "string")
    throw new Error("no .data/webhook-secrets.json: start the service with npm run dev first");
  return secret;
}

function adminKey(): string | null {
  const file = join(dataDir, "admin-key.txt");
  return process.env.ADMIN_API_KEY || (existsSync(file) ? readFileSync(file, "utf8").trim() : null);
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const key = adminKey();
  const response = await fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The service's clock in seconds (it may run ahead in development), or this machine's. */
async function serviceSeconds(baseUrl: string): Promise<number> {
  try {
    const clock = await getJson(`${baseUrl}/v1/dev/clock`);
    if (clock.status === 200 && typeof clock.body.now === "string") {
      return Math.floor(Date.parse(clock.body.now) / 1000);
    }
  } catch {
    // an older service without the dev clock: this machine's time
  }
  return Math.floor(Date.now() / 1000);
}

/** The USD to pay: --amount, or the quote's own amount read from the service. */
async function amountOf(baseUrl: string, command: Extract<WebhookCommand, { provider: "stripe" }>) {
  if (command.amountUsd !== null) return command.amountUsd;
  const quote = await getJson(`${baseUrl}/v1/credits/checkout/${encodeURIComponent(command.quoteId ?? "")}`);
  if (quote.status !== 200 || typeof quote.body.amountUsd !== "string") {
    throw new Error(`could not read quote ${command.quoteId} (${quote.status}): pass --amount`);
  }
  return quote.body.amountUsd;
}

async function main(argv: string[]): Promise<void> {
  const urlIndex = argv.indexOf("--url");
  const baseUrl =
    (urlIndex >= 0 ? argv[urlIndex + 1] : undefined) ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`;
  const args = urlIndex >= 0 ? [...argv.slice(0, urlIndex), ...argv.slice(urlIndex + 2)] : argv;
  const command = parseWebhookCommand(args);
  const seconds = await serviceSeconds(baseUrl);
  let path: string;
  let payload: string;
  let headers: Record<string, string>;
  if (command.provider === "stripe") {
    payload = stripeEventBody(command, await amountOf(baseUrl, command), seconds);
    path = "/v1/webhooks/stripe";
    const signature = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: secretOf("stripe"),
      timestamp: seconds,
    });
    headers = { "stripe-signature": signature };
  } else {
    payload = bridgeEventBody(command, seconds);
    path = "/v1/webhooks/tft-bridge";
    headers = { [bridgeSignatureHeader]: await signBridgePayload(payload, secretOf("bridge"), seconds) };
  }
  console.log(`POST ${baseUrl}${path}\n${payload}`);
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body: payload,
  });
  const text = await response.text();
  console.log(`\n${response.status} ${response.statusText}`);
  try {
    console.log(JSON.stringify(JSON.parse(text), null, 2));
  } catch {
    console.log(text);
  }
  if (!response.ok) process.exitCode = 1;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`${error instanceof Error ? error.message : String(error)}\n\n${webhookUsage}`);
  process.exitCode = 2;
});
