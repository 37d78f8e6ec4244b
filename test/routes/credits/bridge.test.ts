// Proves the TFT bridge webhook: a signed deposit locks the TFT in the vault and mints TFP 1:1 in one
// linked write with its event id, exactly once (duplicate events, one deposit under two event ids),
// under either secret during a rotation, even while the oracle is halted; forged, tampered, malformed
// and expired signatures get a 400 and change nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { signBridgePayload } from "../../../src/credits/bridge";
import { database, expectAuditClean, fundedAccount, type Seeded, seedKey } from "../../support/harness";
import {
  bridgeEvent,
  bridgePreviousSecret,
  bridgeSecret,
  creditCounts,
  deliverBridge,
  ledgerBalanced,
  posted,
  resetPrices,
  supplyOf,
  uniqueId,
} from "./support";

let user: Seeded;
let tfpAccount: string;

beforeAll(async () => {
  user = await seedKey("user");
  tfpAccount = await fundedAccount(user.ownerId, "TFP", 0n, "user");
});

function deposit(amount: string, overrides: Record<string, unknown> = {}) {
  return { depositId: uniqueId("dep"), accountId: tfpAccount, amount, txHash: uniqueId("tx"), ...overrides };
}

describe("deposits", () => {
  it("lock the TFT and mint TFP 1:1, linked with the event's record, once", async () => {
    const vault = await posted("acc_vault_tft");
    const tfpIssued = (await supplyOf("TFP")).issuedMinor;
    const eventId = uniqueId("bev");
    const payload = bridgeEvent("deposit.confirmed", deposit("1000.5"), eventId);
    const first = await deliverBridge(payload);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ eventId, outcome: "deposited", duplicate: false });
    expect(await posted(tfpAccount)).toBe(10_005_000_000n);
    expect(await posted("acc_vault_tft")).toBe(vault + 10_005_000_000n);
    expect((await supplyOf("TFP")).issuedMinor).toBe(tfpIssued + 10_005_000_000n);

    const legs = await database().execute({
      sql: "SELECT debit_account_id, credit_account_id, asset, amount, link_id FROM transfers WHERE id IN (?, ?) ORDER BY id",
      args: [`bridge_${eventId}_lock`, `bridge_${eventId}_mint`],
    });
    expect(legs.rows.map((row) => [row.debit_account_id, row.credit_account_id, row.asset])).toEqual([
      ["acc_issuance_tft", "acc_vault_tft", "TFT"],
      ["acc_issuance_tfp", tfpAccount, "TFP"],
    ]);
    expect(legs.rows[0]!.link_id).toBe(legs.rows[1]!.link_id);

    for (let attempt = 0; attempt < 3; attempt++) {
      const again = await deliverBridge(payload);
      expect(again.body).toMatchObject({ outcome: "deposited", duplicate: true });
    }
    expect(await posted(tfpAccount)).toBe(10_005_000_000n);
    expect(await ledgerBalanced()).toBe(true);
  });

  it("credit one deposit once even when announced under two event ids, concurrently", async () => {
    const before = await posted(tfpAccount);
    const data = deposit("7");
    const deliveries = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        deliverBridge(
          bridgeEvent(
            "deposit.confirmed",
            data,
            index % 2 === 0 ? `bev_a_${data.depositId}` : `bev_b_${data.depositId}`,
          ),
        ),
      ),
    );
    expect(deliveries.every((delivery) => delivery.status === 200)).toBe(true);
    expect(await posted(tfpAccount)).toBe(before + 70_000_000n);
    const outcomes = new Set(deliveries.map((delivery) => delivery.body.outcome));
    expect(outcomes).toEqual(new Set(["deposited", "duplicate_deposit"]));
    await expectAuditClean();
  });

  it("accept the previous secret during a rotation", async () => {
    const before = await posted(tfpAccount);
    const response = await deliverBridge(bridgeEvent("deposit.confirmed", deposit("1")), {
      secret: bridgePreviousSecret,
    });
    expect(response.status).toBe(200);
    expect(await posted(tfpAccount)).toBe(before + 10_000_000n);
  });

  it("work while the oracle is halted (no price is needed)", async () => {
    await resetPrices();
    const before = await posted(tfpAccount);
    const response = await deliverBridge(bridgeEvent("deposit.confirmed", deposit("2")));
    expect(response.status).toBe(200);
    expect(await posted(tfpAccount)).toBe(before + 20_000_000n);
  });

  it("refuse an unknown or unsuitable account with nothing recorded", async () => {
    const before = await creditCounts();
    const unknown = await deliverBridge(
      bridgeEvent("deposit.confirmed", deposit("1", { accountId: "acc_nobody" })),
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: "ACCOUNT_NOT_FOUND" });
    const ccAccount = await fundedAccount(user.ownerId, "CC", 0n, "user");
    const wrongAsset = await deliverBridge(
      bridgeEvent("deposit.confirmed", deposit("1", { accountId: ccAccount })),
    );
    expect(wrongAsset.status).toBe(422);
    expect(wrongAsset.body).toMatchObject({ code: "ASSET_MISMATCH" });
    const system = await deliverBridge(
      bridgeEvent("deposit.confirmed", deposit("1", { accountId: "acc_treasury_tfp" })),
    );
    expect(system.status).toBe(422);
    const precise = await deliverBridge(bridgeEvent("deposit.confirmed", deposit("1.00000001")));
    expect(precise.status).toBe(422);
    expect(await creditCounts()).toEqual(before);
  });

  it("refuse a transaction hash with a NUL or a bidi override (422 naming it) with nothing recorded", async () => {
    const before = await creditCounts();
    for (const txHash of ["tx\u0000hidden", "tx\u202Eevil"]) {
      const response = await deliverBridge(bridgeEvent("deposit.confirmed", deposit("1", { txHash })));
      expect(response.status, JSON.stringify(response.body)).toBe(422);
      expect(response.body).toMatchObject({ code: "VALIDATION_FAILED" });
      expect(JSON.stringify(response.body)).toContain("data.txHash");
    }
    expect(await creditCounts()).toEqual(before);
  });

  it("acknowledge event types it does not handle", async () => {
    const response = await deliverBridge(bridgeEvent("bridge.heartbeat", {}));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ outcome: "ignored" });
  });
});

describe("signatures", () => {
  it("refuse forged, tampered, malformed, missing and expired signatures with a 400, changing nothing", async () => {
    const payload = bridgeEvent("deposit.confirmed", deposit("5"));
    const nowSeconds = Math.floor(Date.now() / 1000);
    const before = { counts: await creditCounts(), balance: await posted(tfpAccount) };
    const forged = await deliverBridge(payload, { secret: "not-the-bridge" });
    expect(forged.status).toBe(400);
    expect(forged.body).toMatchObject({ code: "SIGNATURE_INVALID" });
    const missing = await deliverBridge(payload, { signature: null });
    expect(missing.status).toBe(400);
    const signedOriginal = await signBridgePayload(payload, bridgeSecret, nowSeconds);
    const tamperedPayload = payload.replace('"amount":"5"', '"amount":"500"');
    expect(tamperedPayload).not.toBe(payload);
    const tampered = await deliverBridge(tamperedPayload, { signature: signedOriginal });
    expect(tampered.status).toBe(400);
    expect(tampered.body).toMatchObject({ code: "SIGNATURE_INVALID" });
    for (const header of ["v1=abc", "t=notanumber,v1=00", "garbage", `t=${nowSeconds}`]) {
      const response = await deliverBridge(payload, { signature: header });
      expect(response.status).toBe(400);
    }
    // Ten seconds past the 300 s tolerance either way, read just before sending, so a slow run
    // (seconds between the deliveries) cannot bring a timestamp back inside it.
    const secondsNow = () => Math.floor(Date.now() / 1000);
    const old = await deliverBridge(payload, { timestampSeconds: secondsNow() - 310 });
    expect(old.status).toBe(400);
    expect(old.body).toMatchObject({ code: "TIMESTAMP_OUT_OF_TOLERANCE" });
    const future = await deliverBridge(payload, { timestampSeconds: secondsNow() + 310 });
    expect(future.status).toBe(400);
    expect(future.body).toMatchObject({ code: "TIMESTAMP_OUT_OF_TOLERANCE" });
    expect(await creditCounts()).toEqual(before.counts);
    expect(await posted(tfpAccount)).toBe(before.balance);
    // Within the tolerance, the same event is accepted.
    const edge = await deliverBridge(payload, { timestampSeconds: secondsNow() - 290 });
    expect(edge.status).toBe(200);
  });
});
