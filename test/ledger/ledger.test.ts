// Proves the ledger service against the real libSQL server: idempotent transfers, linked groups
// that roll back whole, two-phase holds (post, partial drawdown, void, timeout), no overdraft
// under a concurrent race, and an audit that recomputes every balance from the transfers.
import { describe, expect, it } from "vitest";
import { randomBase62 } from "../../src/kit/ids";
import { audit, supply } from "../../src/ledger/accounts";
import { createTransfers, expireHolds } from "../../src/ledger/store";
import { balances, database, expectAuditClean, fundedAccount, uniqueOwner } from "../support/harness";

const unique = (prefix: string) => `${prefix}_${randomBase62(10)}`;

describe("idempotency", () => {
  it("returns the first result for the same id and content, and refuses other content", async () => {
    const db = database();
    const alice = await fundedAccount(uniqueOwner(), "CC", 1_000n);
    const bob = await fundedAccount(uniqueOwner(), "CC", 0n);
    const id = unique("pay");
    const request = {
      type: "posted" as const,
      id,
      debitAccountId: alice,
      creditAccountId: bob,
      asset: "CC" as const,
      amountMinor: 100n,
      code: "pay",
    };
    const first = await createTransfers(db, [request]);
    const again = await createTransfers(db, [request]);
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(again.value[0]!.seq).toBe(first.value[0]!.seq);
    expect((await balances(alice)).posted).toBe(900n);

    const different = await createTransfers(db, [{ ...request, amountMinor: 101n }]);
    expect(different).toMatchObject({ ok: false, code: "IDEMPOTENCY_CONFLICT" });
    expect((await balances(alice)).posted).toBe(900n);
  });

  it("deduplicates concurrent retries of the same transfer", async () => {
    const db = database();
    const alice = await fundedAccount(uniqueOwner(), "CC", 1_000n);
    const bob = await fundedAccount(uniqueOwner(), "CC", 0n);
    const request = {
      type: "posted" as const,
      id: unique("race"),
      debitAccountId: alice,
      creditAccountId: bob,
      asset: "CC" as const,
      amountMinor: 10n,
      code: "pay",
    };
    const results = await Promise.all(Array.from({ length: 8 }, () => createTransfers(db, [request])));
    expect(results.every((result) => result.ok)).toBe(true);
    expect((await balances(bob)).posted).toBe(10n);
    await expectAuditClean();
  });
});

describe("linked transfers", () => {
  it("roll back whole when one leg fails", async () => {
    const db = database();
    const alice = await fundedAccount(uniqueOwner(), "CC", 50n);
    const bob = await fundedAccount(uniqueOwner(), "CC", 0n);
    const result = await createTransfers(db, [
      {
        type: "posted",
        id: unique("leg"),
        debitAccountId: alice,
        creditAccountId: bob,
        asset: "CC",
        amountMinor: 40n,
        code: "pay",
      },
      {
        type: "posted",
        id: unique("leg"),
        debitAccountId: alice,
        creditAccountId: bob,
        asset: "CC",
        amountMinor: 40n,
        code: "pay",
      },
    ]);
    expect(result).toMatchObject({ ok: false, code: "INSUFFICIENT_FUNDS", field: "transfers/1/amount" });
    expect(await balances(alice)).toMatchObject({ posted: 50n, available: 50n });
    expect((await balances(bob)).posted).toBe(0n);
  });

  it("let a later leg spend what an earlier leg credited", async () => {
    const db = database();
    const alice = await fundedAccount(uniqueOwner(), "CC", 100n);
    const escrow = await fundedAccount(uniqueOwner(), "CC", 0n, "escrow");
    const farmer = await fundedAccount(uniqueOwner(), "CC", 0n, "farmer");
    const result = await createTransfers(db, [
      {
        type: "posted",
        id: unique("in"),
        debitAccountId: alice,
        creditAccountId: escrow,
        asset: "CC",
        amountMinor: 100n,
        code: "pay",
      },
      {
        type: "posted",
        id: unique("out"),
        debitAccountId: escrow,
        creditAccountId: farmer,
        asset: "CC",
        amountMinor: 80n,
        code: "payout",
      },
    ]);
    expect(result.ok).toBe(true);
    expect((await balances(escrow)).posted).toBe(20n);
    expect((await balances(farmer)).posted).toBe(80n);
  });
});

describe("two-phase transfers", () => {
  it("holds, draws down, and posts the rest as final", async () => {
    const db = database();
    const user = await fundedAccount(uniqueOwner(), "CC", 1_000n);
    const escrow = await fundedAccount(uniqueOwner(), "CC", 0n, "escrow");
    const holdId = unique("hold");
    const held = await createTransfers(db, [
      {
        type: "pending",
        id: holdId,
        debitAccountId: user,
        creditAccountId: escrow,
        asset: "CC",
        amountMinor: 600n,
        code: "lease_hold",
        timeoutMs: 60_000,
      },
    ]);
    expect(held.ok).toBe(true);
    expect(await balances(user)).toMatchObject({ posted: 1_000n, available: 400n, pendingDebits: 600n });

    const draw = await createTransfers(db, [
      {
        type: "post_pending",
        id: unique("draw"),
        pendingId: holdId,
        amountMinor: 100n,
        final: false,
        code: "lease_charge",
      },
    ]);
    expect(draw.ok).toBe(true);
    expect(await balances(user)).toMatchObject({ posted: 900n, available: 400n, pendingDebits: 500n });

    const tooMuch = await createTransfers(db, [
      {
        type: "post_pending",
        id: unique("draw"),
        pendingId: holdId,
        amountMinor: 501n,
        code: "lease_charge",
      },
    ]);
    expect(tooMuch).toMatchObject({ ok: false, code: "AMOUNT_EXCEEDS_PENDING" });

    const finalRequest = {
      type: "post_pending" as const,
      id: unique("final"),
      pendingId: holdId,
      amountMinor: 50n,
      code: "lease_charge",
    };
    const final = await createTransfers(db, [finalRequest]);
    expect(final.ok).toBe(true);
    expect(await balances(user)).toMatchObject({ posted: 850n, available: 850n, pendingDebits: 0n });
    expect((await balances(escrow)).posted).toBe(150n);
    // replaying the post that resolved the hold returns the first result and moves nothing
    const replayed = await createTransfers(db, [finalRequest]);
    expect(replayed.ok && final.ok && replayed.value[0]!.seq === final.value[0]!.seq).toBe(true);
    expect((await balances(escrow)).posted).toBe(150n);

    const late = await createTransfers(db, [
      { type: "void_pending", id: unique("void"), pendingId: holdId, code: "cancel" },
    ]);
    expect(late).toMatchObject({ ok: false, code: "PENDING_TRANSFER_ALREADY_RESOLVED" });
  });

  it("voids release the hold; expired holds are released by the sweep and can no longer post", async () => {
    const db = database();
    const user = await fundedAccount(uniqueOwner(), "CC", 100n);
    const escrow = await fundedAccount(uniqueOwner(), "CC", 0n, "escrow");
    const voided = unique("hold");
    const expiring = unique("hold");
    const start = Date.now();
    expect(
      (
        await createTransfers(db, [
          {
            type: "pending",
            id: voided,
            debitAccountId: user,
            creditAccountId: escrow,
            asset: "CC",
            amountMinor: 30n,
            code: "hold",
            timeoutMs: null,
          },
        ])
      ).ok,
    ).toBe(true);
    expect(
      (
        await createTransfers(
          db,
          [
            {
              type: "pending",
              id: expiring,
              debitAccountId: user,
              creditAccountId: escrow,
              asset: "CC",
              amountMinor: 50n,
              code: "hold",
              timeoutMs: 1_000,
            },
          ],
          { nowMs: start },
        )
      ).ok,
    ).toBe(true);
    expect((await balances(user)).available).toBe(20n);

    expect(
      (
        await createTransfers(db, [
          { type: "void_pending", id: unique("void"), pendingId: voided, code: "cancel" },
        ])
      ).ok,
    ).toBe(true);
    expect((await balances(user)).available).toBe(50n);

    const tooLate = await createTransfers(
      db,
      [{ type: "post_pending", id: unique("post"), pendingId: expiring, code: "charge" }],
      { nowMs: start + 1_000 },
    );
    expect(tooLate).toMatchObject({ ok: false, code: "PENDING_TRANSFER_EXPIRED" });
    expect(await expireHolds(db, start + 1_000)).toBeGreaterThanOrEqual(1);
    expect(await expireHolds(db, start + 1_000)).toBe(0);
    expect(await balances(user)).toMatchObject({ posted: 100n, available: 100n, pendingDebits: 0n });
    const state = await db.execute({ sql: "SELECT status FROM holds WHERE id = ?", args: [expiring] });
    expect(state.rows[0]?.status).toBe("expired");
  });
});

describe("concurrency", () => {
  it("never overdraws an account under a race of concurrent debits, and accounts for every success", async () => {
    const payer = await fundedAccount(uniqueOwner(), "CC", 1_000n);
    const payee = await fundedAccount(uniqueOwner(), "CC", 0n);
    const attempts = 40;
    const results = await Promise.all(
      Array.from({ length: attempts }, (_, index) =>
        createTransfers(database(), [
          {
            type: "posted",
            id: unique(`debit${index}`),
            debitAccountId: payer,
            creditAccountId: payee,
            asset: "CC",
            amountMinor: 70n,
            code: "race",
          },
        ]),
      ),
    );
    const succeeded = results.filter((result) => result.ok).length;
    const refused = results.filter((result) => !result.ok);
    expect(succeeded).toBe(14); // 14 × 70 = 980 ≤ 1,000 < 15 × 70
    expect(refused.every((result) => !result.ok && result.code === "INSUFFICIENT_FUNDS")).toBe(true);
    expect(await balances(payer)).toMatchObject({ posted: 20n, available: 20n });
    expect((await balances(payee)).posted).toBe(980n);
    await expectAuditClean();
  });
});

describe("audit and supply", () => {
  it("recomputes every balance from the transfers and finds each asset summing to zero", async () => {
    const db = database();
    await fundedAccount(uniqueOwner(), "TFT", 5_000_000n, "vault");
    const report = await audit(db);
    expect(report.mismatches).toEqual([]);
    expect(report.holdMismatches).toEqual([]);
    expect(report.assets.every((asset) => asset.postedSumMinor === 0n)).toBe(true);
    expect(report.balanced).toBe(true);
    const cc = (await supply(db)).find((row) => row.asset === "CC")!;
    expect(cc.circulatingMinor).toBe(cc.issuedMinor - cc.burnedMinor);
    expect(cc.issuedMinor).toBeGreaterThan(0n);
  });

  it("refuses to alter or delete a transfer (corrections are reversing transfers)", async () => {
    const db = database();
    await fundedAccount(uniqueOwner(), "CC", 5n);
    await expect(
      db.execute("UPDATE transfers SET amount = amount + 1 WHERE seq = (SELECT max(seq) FROM transfers)"),
    ).rejects.toThrow(/TRANSFER_IMMUTABLE/);
    await expect(
      db.execute("DELETE FROM transfers WHERE seq = (SELECT max(seq) FROM transfers)"),
    ).rejects.toThrow(/TRANSFER_IMMUTABLE/);
    await expect(
      db.execute(
        "UPDATE accounts SET credits_posted = credits_posted + 1000000 WHERE id = 'acc_treasury_cc'",
      ),
    ).resolves.toBeDefined();
    // a direct write to a balance is caught by the audit
    const report = await audit(db);
    expect(report.balanced).toBe(false);
    expect(report.mismatches.some((row) => row.accountId === "acc_treasury_cc")).toBe(true);
    await db.execute(
      "UPDATE accounts SET credits_posted = credits_posted - 1000000 WHERE id = 'acc_treasury_cc'",
    );
    expect((await audit(db)).balanced).toBe(true);
  });
});
