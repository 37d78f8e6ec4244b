// Proves exactly-once minting under load: a burst of 1,000 Stripe deliveries (200 payments, each
// announced by two event types and delivered again, plus 50 full refunds delivered four times, all
// shuffled and sent 16 at a time through the Worker) mints each payment's CC exactly once, applies
// each refund exactly once whichever arrives first, and leaves the ledger balanced with
// issued − burned = circulating and the users' balances equal to what was minted minus what was burned.
import { beforeAll, describe, expect, it } from "vitest";
import { createCheckoutQuote } from "../../../src/credits/checkout";
import { call, database, expectAuditClean, fundedAccount, seedKey } from "../../support/harness";
import {
  checkoutSession,
  ledgerBalanced,
  paymentIntent,
  posted,
  refundedCharge,
  setPrices,
  stripeEvent,
  stripeSignature,
  supplyOf,
  uniqueId,
} from "./support";

const paymentsCount = 200;
const refundsCount = 50;
const concurrency = 16;

/** A small seeded generator (mulberry32), so a failing order can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Delivery = { payload: string; signature: string };
type Payment = { pi: string; accountId: string; usdCents: number; ccMinor: bigint; refunded: boolean };

const seed = 20261124;
let payments: Payment[] = [];
let deliveries: Delivery[] = [];
let accounts: string[] = [];

beforeAll(async () => {
  await setPrices({ gold: "128", tft: "0.05" });
  const owner = await seedKey("user");
  accounts = await Promise.all(
    Array.from({ length: 20 }, () => fundedAccount(owner.ownerId, "CC", 0n, "user")),
  );
  const random = seeded(seed);
  const nowMs = Date.now();
  payments = [];
  const events: string[] = [];
  for (let index = 0; index < paymentsCount; index++) {
    const accountId = accounts[index % accounts.length]!;
    const usdCents = 100 + Math.floor(random() * 4_900);
    const quote = await createCheckoutQuote(
      database(),
      { role: "user", ownerId: owner.ownerId },
      { accountId, usdMinor: BigInt(usdCents), idempotencyKey: null },
      { config: { checkoutQuoteTtlMs: 3_600_000 }, createSession: null },
      nowMs,
    );
    if (!quote.ok) throw new Error(quote.detail);
    const { id: quoteId, ccMinor } = quote.value.quote;
    const pi = uniqueId("pi");
    const refunded = index < refundsCount;
    payments.push({ pi, accountId, usdCents, ccMinor, refunded });
    const session = stripeEvent(
      "checkout.session.completed",
      checkoutSession({ paymentIntent: pi, quoteId, amountCents: usdCents }),
    );
    const intent = stripeEvent(
      "payment_intent.succeeded",
      paymentIntent({ id: pi, quoteId, amountCents: usdCents }),
    );
    events.push(session, session, intent, random() < 0.5 ? session : intent);
    if (refunded) {
      const refund = stripeEvent(
        "charge.refunded",
        refundedCharge({ paymentIntent: pi, amountCents: usdCents, amountRefundedCents: usdCents }),
      );
      events.push(refund, refund, refund, refund);
    }
  }
  // Fisher–Yates with the seeded generator: duplicates and refunds land in random order.
  for (let index = events.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [events[index], events[other]] = [events[other]!, events[index]!];
  }
  const signatures = new Map<string, string>();
  deliveries = [];
  for (const payload of events) {
    let signature = signatures.get(payload);
    if (signature === undefined) {
      signature = await stripeSignature(payload);
      signatures.set(payload, signature);
    }
    deliveries.push({ payload, signature });
  }
}, 120_000);

describe("a burst of 1,000 deliveries", () => {
  it("mints each payment exactly once and keeps the ledger conserved", async () => {
    expect(deliveries).toHaveLength(1_000);
    const cc = await supplyOf("CC");
    const usdTreasury = await posted("acc_treasury_usd");
    const balancesBefore = await Promise.all(accounts.map((account) => posted(account)));

    const statuses: number[] = [];
    let next = 0;
    const startedMs = Date.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < deliveries.length) {
          const delivery = deliveries[next++]!;
          const response = await call("POST", "/v1/webhooks/stripe", {
            rawBody: delivery.payload,
            headers: { "content-type": "application/json", "stripe-signature": delivery.signature },
          });
          statuses.push(response.status);
        }
      }),
    );
    const elapsedMs = Date.now() - startedMs;
    expect(statuses.filter((status) => status !== 200)).toEqual([]);

    // One payment row per payment, minted once; each refund applied once.
    const rows = await database().execute({
      sql: `SELECT id, cc_minted, cc_burned, usd_reversed FROM card_payments WHERE id IN (${payments.map(() => "?").join(", ")})`,
      args: payments.map((payment) => payment.pi),
    });
    expect(rows.rows).toHaveLength(paymentsCount);
    const byId = new Map(rows.rows.map((row) => [String(row.id), row]));
    let mintedMinor = 0n;
    let burnedMinor = 0n;
    let usdKeptCents = 0n;
    const expectedByAccount = new Map<string, bigint>();
    for (const payment of payments) {
      const row = byId.get(payment.pi)!;
      expect(BigInt(row.cc_minted as bigint)).toBe(payment.ccMinor);
      const burned = payment.refunded ? payment.ccMinor : 0n;
      expect(BigInt(row.cc_burned as bigint)).toBe(burned);
      mintedMinor += payment.ccMinor;
      burnedMinor += burned;
      usdKeptCents += payment.refunded ? 0n : BigInt(payment.usdCents);
      expectedByAccount.set(
        payment.accountId,
        (expectedByAccount.get(payment.accountId) ?? 0n) + payment.ccMinor - burned,
      );
    }
    const transfers = await database().execute({
      sql: `SELECT count(*) AS count FROM transfers WHERE json_extract(metadata, '$.paymentId') IN (${payments.map(() => "?").join(", ")})`,
      args: payments.map((payment) => payment.pi),
    });
    // usd + cc per payment, reverse_usd + burn per refund: whichever event came first.
    expect(Number(transfers.rows[0]!.count)).toBe(paymentsCount * 2 + refundsCount * 2);

    const after = await supplyOf("CC");
    expect(after.issuedMinor - cc.issuedMinor).toBe(mintedMinor);
    expect(after.burnedMinor - cc.burnedMinor).toBe(burnedMinor);
    expect(after.circulatingMinor).toBe(after.issuedMinor - after.burnedMinor);
    expect(after.circulatingMinor - cc.circulatingMinor).toBe(mintedMinor - burnedMinor);
    const balancesAfter = await Promise.all(accounts.map((account) => posted(account)));
    accounts.forEach((account, index) => {
      expect(balancesAfter[index]! - balancesBefore[index]!).toBe(expectedByAccount.get(account) ?? 0n);
    });
    expect((await posted("acc_treasury_usd")) - usdTreasury).toBe(usdKeptCents);
    expect(await ledgerBalanced()).toBe(true);
    console.log(
      `burst: ${deliveries.length} deliveries in ${elapsedMs} ms (${Math.round((deliveries.length * 1000) / elapsedMs)}/s through the Worker, concurrency ${concurrency}, seed ${seed})`,
    );
    await expectAuditClean();
  }, 120_000);
});
