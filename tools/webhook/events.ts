/**
 * What `npm run webhook` sends, built without I/O so it can be tested: the command line read into
 * one delivery, and each provider's event body in the shape the provider sends (only the fields
 * the service reads, as src/credits/stripe.ts and src/credits/bridge.ts parse them).
 */
import { randomBase62 } from "../../src/kit/ids";

/** The Stripe event types the helper sends. */
export const stripeEventTypes = [
  "checkout.session.completed",
  "checkout.session.async_payment_succeeded",
  "payment_intent.succeeded",
  "charge.refunded",
] as const;
export type StripeEventType = (typeof stripeEventTypes)[number];

/** The bridge events the helper sends (`deposit` is `deposit.confirmed`). */
export const bridgeCommands = ["deposit", "withdrawal.paid", "withdrawal.failed"] as const;
export type BridgeCommand = (typeof bridgeCommands)[number];

export type WebhookCommand =
  | {
      provider: "stripe";
      type: StripeEventType;
      quoteId: string | null;
      /** USD as a decimal string; null: the quote's amount (read from the service). */
      amountUsd: string | null;
      paymentIntentId: string;
      eventId: string;
    }
  | {
      provider: "bridge";
      command: BridgeCommand;
      accountId: string | null;
      withdrawalId: string | null;
      amountTft: string | null;
      reason: string;
      depositId: string;
      txHash: string;
      eventId: string;
    };

export const webhookUsage = `Usage:
  npm run webhook -- stripe checkout.session.completed --quote <chk_…> [--amount <USD>] [--payment-intent <pi_…>] [--id <evt_…>]
  npm run webhook -- stripe checkout.session.async_payment_succeeded | payment_intent.succeeded  (same options)
  npm run webhook -- stripe charge.refunded --payment-intent <pi_…> --amount <USD refunded in total> [--id <evt_…>]
  npm run webhook -- bridge deposit --account <acc_… TFP account> --amount <TFT> [--deposit <id>] [--tx <hash>] [--id <id>]
  npm run webhook -- bridge withdrawal.paid --withdrawal <wdr_…> --amount <TFT> [--tx <hash>] [--id <id>]
  npm run webhook -- bridge withdrawal.failed --withdrawal <wdr_…> [--reason <text>] [--id <id>]
Options for all: --url <base URL> (default http://127.0.0.1:$PORT, PORT default 8787).
Signs with the secrets npm run dev keeps in .data/webhook-secrets.json (or STRIPE_WEBHOOK_SECRET /
BRIDGE_WEBHOOK_SECRET from the environment), at the service's clock (GET /v1/dev/clock) when it answers.
Repeat a delivery with the same --id to see it applied once.`;

const valueOptions = [
  "quote",
  "amount",
  "payment-intent",
  "id",
  "account",
  "deposit",
  "tx",
  "withdrawal",
  "reason",
  "url",
] as const;
type OptionName = (typeof valueOptions)[number];

/** Reads `--name value` pairs; throws on an unknown option or a missing value. */
export function readOptions(args: readonly string[]): Partial<Record<OptionName, string>> {
  const options: Partial<Record<OptionName, string>> = {};
  for (let index = 0; index < args.length; index += 2) {
    const flag = args[index] ?? "";
    const name = flag.replace(/^--/, "") as OptionName;
    const value = args[index + 1];
    if (!flag.startsWith("--") || !valueOptions.includes(name)) throw new Error(`unknown option ${flag}`);
    if (value === undefined || value.startsWith("--")) throw new Error(`${flag} needs a value`);
    options[name] = value;
  }
  return options;
}

const decimal = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

function checkAmount(value: string | undefined, what: string): string | null {
  if (value === undefined) return null;
  if (!decimal.test(value)) throw new Error(`--amount must be a decimal ${what}, such as 25.00`);
  return value;
}

/** Reads the command line (after `npm run webhook --`) into one delivery to send. */
export function parseWebhookCommand(argv: readonly string[]): WebhookCommand {
  const [provider, kind, ...rest] = argv;
  const options = readOptions(rest);
  if (provider === "stripe") {
    const type = stripeEventTypes.find((candidate) => candidate === kind);
    if (type === undefined) throw new Error(`stripe events: ${stripeEventTypes.join(", ")}`);
    const quoteId = options.quote ?? null;
    if (type !== "charge.refunded" && quoteId === null) throw new Error(`${type} needs --quote <chk_…>`);
    if (type === "charge.refunded" && (options["payment-intent"] === undefined || !options.amount)) {
      throw new Error("charge.refunded needs --payment-intent <pi_…> and --amount <USD>");
    }
    return {
      provider,
      type,
      quoteId,
      amountUsd: checkAmount(options.amount, "of USD"),
      paymentIntentId: options["payment-intent"] ?? `pi_dev_${randomBase62(20)}`,
      eventId: options.id ?? `evt_dev_${randomBase62(20)}`,
    };
  }
  if (provider === "bridge") {
    const command = bridgeCommands.find((candidate) => candidate === kind);
    if (command === undefined) throw new Error(`bridge events: ${bridgeCommands.join(", ")}`);
    const amountTft = checkAmount(options.amount, "of TFT");
    if (command === "deposit" && (options.account === undefined || amountTft === null)) {
      throw new Error("deposit needs --account <acc_…> and --amount <TFT>");
    }
    if (command !== "deposit" && options.withdrawal === undefined) {
      throw new Error(`${command} needs --withdrawal <wdr_…>`);
    }
    if (command === "withdrawal.paid" && amountTft === null)
      throw new Error("withdrawal.paid needs --amount <TFT>");
    return {
      provider,
      command,
      accountId: options.account ?? null,
      withdrawalId: options.withdrawal ?? null,
      amountTft,
      reason: options.reason ?? "refused by the bridge (npm run webhook)",
      depositId: options.deposit ?? `dep_dev_${randomBase62(16)}`,
      txHash: options.tx ?? `tx_dev_${randomBase62(32)}`,
      eventId: options.id ?? `bev_dev_${randomBase62(20)}`,
    };
  }
  throw new Error("the first argument is the provider: stripe or bridge");
}

/** Whole cents of a USD decimal string (at most 2 decimals). */
export function usdCents(amountUsd: string): number {
  const [whole = "0", fraction = ""] = amountUsd.split(".");
  if (fraction.length > 2) throw new Error(`${amountUsd} USD has more than 2 decimals`);
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}

/** A Stripe event body as Stripe sends it (API version of the `stripe` library in package.json). */
export function stripeEventBody(
  command: Extract<WebhookCommand, { provider: "stripe" }>,
  amountUsd: string,
  createdSeconds: number,
): string {
  const cents = usdCents(amountUsd);
  const metadata = command.quoteId === null ? {} : { cc_quote_id: command.quoteId };
  const object =
    command.type === "payment_intent.succeeded"
      ? {
          id: command.paymentIntentId,
          object: "payment_intent",
          amount: cents,
          amount_received: cents,
          currency: "usd",
          metadata,
          status: "succeeded",
        }
      : command.type === "charge.refunded"
        ? {
            id: `ch_dev_${randomBase62(20)}`,
            object: "charge",
            amount_refunded: cents,
            currency: "usd",
            payment_intent: command.paymentIntentId,
            refunded: true,
          }
        : {
            id: `cs_test_dev_${randomBase62(20)}`,
            object: "checkout.session",
            amount_total: cents,
            currency: "usd",
            client_reference_id: command.quoteId,
            metadata,
            mode: "payment",
            payment_intent: command.paymentIntentId,
            payment_status: "paid",
            status: "complete",
          };
  return JSON.stringify({
    id: command.eventId,
    object: "event",
    api_version: "2025-10-29.clover",
    created: createdSeconds,
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: command.type,
  });
}

/** A bridge event body: `{ id, type, created, data }` (src/credits/bridge.ts). */
export function bridgeEventBody(
  command: Extract<WebhookCommand, { provider: "bridge" }>,
  createdSeconds: number,
): string {
  const [type, data] =
    command.command === "deposit"
      ? [
          "deposit.confirmed",
          {
            depositId: command.depositId,
            accountId: command.accountId,
            amount: command.amountTft,
            txHash: command.txHash,
          },
        ]
      : command.command === "withdrawal.paid"
        ? [
            "withdrawal.paid",
            { withdrawalId: command.withdrawalId, amount: command.amountTft, txHash: command.txHash },
          ]
        : ["withdrawal.failed", { withdrawalId: command.withdrawalId, reason: command.reason }];
  return JSON.stringify({ id: command.eventId, type, created: createdSeconds, data });
}
