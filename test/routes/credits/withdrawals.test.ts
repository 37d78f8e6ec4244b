// Proves TFP → TFT withdrawals: refused at or below the unlock threshold (§6.3) and while the oracle is
// halted; above it, the TFP and the vault's TFT are held in an outbox entry the bridge pays from; the
// bridge's signed outcome burns the TFP and releases the TFT (paid) or frees the TFP (failed), once,
// with final states that later events cannot undo; ledger balanced throughout.
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { balances, call, expectAuditClean, fundedAccount, type Seeded, seedKey } from "../../support/harness";
import {
  bridgeEvent,
  creditCounts,
  deliverBridge,
  ledgerBalanced,
  posted,
  resetPrices,
  setPrices,
  uniqueId,
} from "./support";

type Withdrawal = { id: string; status: string; amountTfp: string; amountTft: string; txHash: string | null };

const destination = `G${"A".repeat(55)}`;
let user: Seeded;
let admin: Seeded;
let tfpAccount: string;

beforeAll(async () => {
  user = await seedKey("user");
  admin = await seedKey("admin");
  tfpAccount = await fundedAccount(user.ownerId, "TFP", 0n, "user");
  const deposited = await deliverBridge(
    bridgeEvent("deposit.confirmed", {
      depositId: uniqueId("dep"),
      accountId: tfpAccount,
      amount: "100",
      txHash: uniqueId("tx"),
    }),
  );
  expect(deposited.status).toBe(200);
});

beforeEach(async () => {
  await setPrices({ gold: "128", tft: "0.10" }); // threshold 0.064: withdrawals allowed
});

async function withdraw(amount: string, key = uniqueId("wdr-key"), account = tfpAccount) {
  return call<Withdrawal & { code?: string }>("POST", "/v1/withdrawals", {
    key: user.key,
    headers: { "idempotency-key": key },
    body: { accountId: account, amount, destination },
  });
}

function paid(withdrawal: Withdrawal, amount = withdrawal.amountTft, id = uniqueId("bev")) {
  return bridgeEvent(
    "withdrawal.paid",
    { withdrawalId: withdrawal.id, amount, txHash: `tx_${withdrawal.id}` },
    id,
  );
}

describe("requesting", () => {
  it("is refused at or below the unlock threshold, and while the oracle is halted", async () => {
    const before = await creditCounts();
    for (const tft of ["0.05", "0.064"]) {
      await setPrices({ gold: "128", tft });
      const response = await withdraw("10");
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: "UNLOCK_THRESHOLD_NOT_MET" });
    }
    await resetPrices();
    const halted = await withdraw("10");
    expect(halted.status).toBe(503);
    expect(halted.body).toMatchObject({ code: "ORACLE_HALTED" });
    expect(await creditCounts()).toEqual(before);
  });

  it("holds the TFP and the vault's TFT, and answers a retry with the same withdrawal", async () => {
    const vaultBefore = await balances("acc_vault_tft");
    const key = uniqueId("wdr-key");
    const first = await withdraw("10", key);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: "pending", amountTfp: "10.0000000", amountTft: "10.0000000" });
    expect(await balances(tfpAccount)).toMatchObject({ posted: 1_000_000_000n, available: 900_000_000n });
    expect((await balances("acc_vault_tft")).available).toBe(vaultBefore.available - 100_000_000n);
    const retry = await withdraw("10", key);
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(first.body.id);
    expect((await balances(tfpAccount)).available).toBe(900_000_000n);

    const own = await call<Withdrawal>("GET", `/v1/withdrawals/${first.body.id}`, { key: user.key });
    expect(own.body).toMatchObject({ id: first.body.id, status: "pending" });
    const stranger = await seedKey("user");
    expect((await call("GET", `/v1/withdrawals/${first.body.id}`, { key: stranger.key })).status).toBe(403);
    const outbox = await call<{ data: Withdrawal[] }>("GET", "/v1/withdrawals?status=pending&limit=200", {
      key: admin.key,
    });
    expect(outbox.body.data.map((entry) => entry.id)).toContain(first.body.id);
    expect((await call("GET", "/v1/withdrawals", { key: user.key })).status).toBe(403);

    // Settle it so later tests start from a clean account.
    expect((await deliverBridge(paid(first.body))).status).toBe(200);
  });

  it("validates the amount, the destination, the key and the account", async () => {
    expect((await withdraw("0.5")).status).toBe(422);
    const badDestination = await call("POST", "/v1/withdrawals", {
      key: user.key,
      headers: { "idempotency-key": uniqueId("wdr-key") },
      body: { accountId: tfpAccount, amount: "5", destination: "not-stellar" },
    });
    expect(badDestination.status).toBe(422);
    const noKey = await call("POST", "/v1/withdrawals", {
      key: user.key,
      body: { accountId: tfpAccount, amount: "5", destination },
    });
    expect(noKey.status).toBe(422);
    const other = await fundedAccount(uniqueId("usr"), "TFP", 50_000_000_000n, "user");
    expect((await withdraw("5", uniqueId("wdr-key"), other)).status).toBe(403);
    expect((await withdraw("1000")).body).toMatchObject({ code: "INSUFFICIENT_FUNDS" });
  });

  it("is refused when the vault cannot cover it (TFP minted without locked TFT)", async () => {
    const rich = await fundedAccount(user.ownerId, "TFP", 10n ** 17n, "user");
    const response = await withdraw("9000000000", uniqueId("wdr-key"), rich);
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ code: "INSUFFICIENT_FUNDS" });
    expect(JSON.stringify(response.body)).toContain("vault");
  });
});

describe("the bridge's outcome", () => {
  it("paid: burns the TFP and releases the vault's TFT, once; a later failure changes nothing", async () => {
    const withdrawal = (await withdraw("5")).body;
    const burned = await posted("acc_burn_tfp");
    const vault = await posted("acc_vault_tft");
    const tftOut = await posted("acc_issuance_tft");
    const before = await balances(tfpAccount);
    const payload = paid(withdrawal);
    const first = await deliverBridge(payload);
    expect(first.body).toMatchObject({ outcome: "withdrawal_paid", duplicate: false });
    expect(await posted("acc_burn_tfp")).toBe(burned + 50_000_000n);
    expect(await posted("acc_vault_tft")).toBe(vault - 50_000_000n);
    expect(await posted("acc_issuance_tft")).toBe(tftOut + 50_000_000n);
    expect(await balances(tfpAccount)).toMatchObject({
      posted: before.posted - 50_000_000n,
      available: before.available,
    });
    expect((await deliverBridge(payload)).body).toMatchObject({ duplicate: true });
    expect((await deliverBridge(paid(withdrawal))).body).toMatchObject({ outcome: "duplicate_outcome" });
    const lateFailure = await deliverBridge(
      bridgeEvent("withdrawal.failed", { withdrawalId: withdrawal.id, reason: "timeout" }),
    );
    expect(lateFailure.body).toMatchObject({ outcome: "ignored" });
    const state = await call<Withdrawal>("GET", `/v1/withdrawals/${withdrawal.id}`, { key: user.key });
    expect(state.body).toMatchObject({ status: "paid", txHash: `tx_${withdrawal.id}` });
    expect(await ledgerBalanced()).toBe(true);
  });

  it("failed: frees the TFP and the vault's TFT; a later payment is refused for an operator", async () => {
    const before = await balances(tfpAccount);
    const withdrawal = (await withdraw("3")).body;
    expect((await balances(tfpAccount)).available).toBe(before.available - 30_000_000n);
    const failed = await deliverBridge(
      bridgeEvent("withdrawal.failed", {
        withdrawalId: withdrawal.id,
        reason: "destination has no TFT trustline",
      }),
    );
    expect(failed.body).toMatchObject({ outcome: "withdrawal_failed" });
    expect(await balances(tfpAccount)).toMatchObject({ posted: before.posted, available: before.available });
    const late = await deliverBridge(paid(withdrawal));
    expect(late.status).toBe(409);
    const state = await call<Withdrawal & { failureReason: string }>(
      "GET",
      `/v1/withdrawals/${withdrawal.id}`,
      {
        key: user.key,
      },
    );
    expect(state.body).toMatchObject({ status: "failed", failureReason: "destination has no TFT trustline" });
  });

  it("refuses a payment of another amount, or of an unknown withdrawal, changing nothing", async () => {
    const withdrawal = (await withdraw("2")).body;
    const before = await creditCounts();
    const wrong = await deliverBridge(paid(withdrawal, "1.9"));
    expect(wrong.status).toBe(409);
    const unknown = await deliverBridge(paid({ ...withdrawal, id: `wdr_${"0".repeat(32)}` }));
    expect(unknown.status).toBe(404);
    expect(await creditCounts()).toEqual(before);
    expect((await deliverBridge(paid(withdrawal))).body).toMatchObject({ outcome: "withdrawal_paid" });
  });

  it("settles exactly once when paid and failed race", async () => {
    const withdrawal = (await withdraw("1")).body;
    const responses = await Promise.all([
      deliverBridge(paid(withdrawal)),
      deliverBridge(bridgeEvent("withdrawal.failed", { withdrawalId: withdrawal.id, reason: "race" })),
      deliverBridge(paid(withdrawal)),
    ]);
    expect(responses.every((response) => response.status < 500)).toBe(true);
    const state = await call<Withdrawal>("GET", `/v1/withdrawals/${withdrawal.id}`, { key: user.key });
    expect(["paid", "failed"]).toContain(state.body.status);
    expect(await ledgerBalanced()).toBe(true);
    const holds = await balances(tfpAccount);
    expect(holds.pendingDebits).toBe(0n);
    await expectAuditClean();
  });
});
