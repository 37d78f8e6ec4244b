// Proves the ledger's pure rules: each kind of transfer moves value between two accounts of one
// asset, bad requests fail without effect, and random sequences never create or lose value.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AccountState,
  balanceOf,
  type HoldState,
  planTransfers,
  type TransferRequest,
} from "../../src/ledger/core/transfers";

const now = 1_000_000;

function accountsOf(...entries: [string, string, boolean, bigint][]): Map<string, AccountState> {
  return new Map(
    entries.map(([id, asset, guarded, credit]) => [
      id,
      {
        id,
        asset,
        debitsMustNotExceedCredits: guarded,
        closed: false,
        debitsPendingMinor: 0n,
        debitsPostedMinor: 0n,
        creditsPendingMinor: 0n,
        creditsPostedMinor: credit,
      },
    ]),
  );
}

const base = () =>
  accountsOf(
    ["issuance", "CC", false, 0n],
    ["alice", "CC", true, 100n],
    ["bob", "CC", true, 0n],
    ["tft", "TFT", true, 0n],
  );

describe("planTransfers: single transfers", () => {
  it("moves a posted amount from debit to credit", () => {
    const result = planTransfers(
      [
        {
          type: "posted",
          id: "t1",
          debitAccountId: "alice",
          creditAccountId: "bob",
          asset: "CC",
          amountMinor: 40n,
          code: "pay",
        },
      ],
      base(),
      new Map(),
      now,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(balanceOf(result.value.accounts.get("alice")!).postedMinor).toBe(60n);
    expect(balanceOf(result.value.accounts.get("bob")!).postedMinor).toBe(40n);
  });

  it.each<[string, TransferRequest, string, string | undefined]>([
    [
      "overdraft",
      {
        type: "posted",
        id: "t",
        debitAccountId: "alice",
        creditAccountId: "bob",
        asset: "CC",
        amountMinor: 101n,
        code: "pay",
      },
      "INSUFFICIENT_FUNDS",
      "transfers/0/amount",
    ],
    [
      "zero amount",
      {
        type: "posted",
        id: "t",
        debitAccountId: "alice",
        creditAccountId: "bob",
        asset: "CC",
        amountMinor: 0n,
        code: "pay",
      },
      "VALIDATION_FAILED",
      "transfers/0/amount",
    ],
    [
      "negative amount",
      {
        type: "posted",
        id: "t",
        debitAccountId: "alice",
        creditAccountId: "bob",
        asset: "CC",
        amountMinor: -5n,
        code: "pay",
      },
      "VALIDATION_FAILED",
      "transfers/0/amount",
    ],
    [
      "same account",
      {
        type: "posted",
        id: "t",
        debitAccountId: "alice",
        creditAccountId: "alice",
        asset: "CC",
        amountMinor: 1n,
        code: "pay",
      },
      "VALIDATION_FAILED",
      "transfers/0/creditAccountId",
    ],
    [
      "unknown account",
      {
        type: "posted",
        id: "t",
        debitAccountId: "alice",
        creditAccountId: "carol",
        asset: "CC",
        amountMinor: 1n,
        code: "pay",
      },
      "ACCOUNT_NOT_FOUND",
      "transfers/0/creditAccountId",
    ],
    [
      "asset mismatch",
      {
        type: "posted",
        id: "t",
        debitAccountId: "alice",
        creditAccountId: "tft",
        asset: "CC",
        amountMinor: 1n,
        code: "pay",
      },
      "ASSET_MISMATCH",
      "transfers/0/asset",
    ],
    [
      "bad id",
      {
        type: "posted",
        id: "bad id",
        debitAccountId: "alice",
        creditAccountId: "bob",
        asset: "CC",
        amountMinor: 1n,
        code: "pay",
      },
      "VALIDATION_FAILED",
      "transfers/0/id",
    ],
    [
      "bad code",
      {
        type: "posted",
        id: "t",
        debitAccountId: "alice",
        creditAccountId: "bob",
        asset: "CC",
        amountMinor: 1n,
        code: "Pay!",
      },
      "VALIDATION_FAILED",
      "transfers/0/code",
    ],
    [
      "unknown hold",
      { type: "post_pending", id: "t", pendingId: "nope", code: "pay" },
      "PENDING_TRANSFER_NOT_FOUND",
      "transfers/0/pendingId",
    ],
  ])("refuses %s", (_name, request, code, field) => {
    const result = planTransfers([request], base(), new Map(), now);
    expect(result).toMatchObject({ ok: false, code, field });
  });

  it("lets issuance accounts go negative (their balance is minus the supply)", () => {
    const result = planTransfers(
      [
        {
          type: "posted",
          id: "m",
          debitAccountId: "issuance",
          creditAccountId: "bob",
          asset: "CC",
          amountMinor: 7n,
          code: "mint",
        },
      ],
      base(),
      new Map(),
      now,
    );
    expect(result.ok && balanceOf(result.value.accounts.get("issuance")!).postedMinor).toBe(-7n);
  });
});

describe("planTransfers: two-phase", () => {
  const hold = (overrides: Partial<HoldState> = {}): Map<string, HoldState> =>
    new Map([
      [
        "h1",
        {
          id: "h1",
          debitAccountId: "alice",
          creditAccountId: "bob",
          asset: "CC",
          amountMinor: 60n,
          postedMinor: 0n,
          remainingMinor: 60n,
          status: "pending",
          expiresAtMs: now + 1000,
          ...overrides,
        },
      ],
    ]);
  const held = () => {
    const accounts = base();
    accounts.get("alice")!.debitsPendingMinor = 60n;
    accounts.get("bob")!.creditsPendingMinor = 60n;
    return accounts;
  };

  it("a pending transfer reserves available funds", () => {
    const result = planTransfers(
      [
        {
          type: "pending",
          id: "h",
          debitAccountId: "alice",
          creditAccountId: "bob",
          asset: "CC",
          amountMinor: 60n,
          code: "hold",
          timeoutMs: 1000,
        },
        {
          type: "posted",
          id: "t",
          debitAccountId: "alice",
          creditAccountId: "bob",
          asset: "CC",
          amountMinor: 41n,
          code: "pay",
        },
      ],
      base(),
      new Map(),
      now,
    );
    expect(result).toMatchObject({ ok: false, code: "INSUFFICIENT_FUNDS", field: "transfers/1/amount" });
  });

  it("draws down a hold, then posts the rest as final", () => {
    const first = planTransfers(
      [{ type: "post_pending", id: "p1", pendingId: "h1", amountMinor: 20n, final: false, code: "draw" }],
      held(),
      hold(),
      now,
    );
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.value.holds.get("h1")).toMatchObject({
      remainingMinor: 40n,
      postedMinor: 20n,
      status: "pending",
    });
    const accounts = new Map([...held(), ...first.value.accounts]);
    const second = planTransfers(
      [{ type: "post_pending", id: "p2", pendingId: "h1", amountMinor: 10n, code: "draw" }],
      accounts,
      first.value.holds,
      now,
    );
    expect(second.ok).toBe(true);
    if (!second.ok) return;
    expect(second.value.holds.get("h1")).toMatchObject({
      remainingMinor: 0n,
      postedMinor: 30n,
      status: "posted",
    });
    expect(balanceOf(second.value.accounts.get("alice")!)).toMatchObject({
      postedMinor: 70n,
      availableMinor: 70n,
      pendingDebitsMinor: 0n,
    });
  });

  it.each<[string, Partial<HoldState>, TransferRequest, string]>([
    [
      "posting more than held",
      {},
      { type: "post_pending", id: "p", pendingId: "h1", amountMinor: 61n, code: "x" },
      "AMOUNT_EXCEEDS_PENDING",
    ],
    [
      "posting an expired hold",
      { expiresAtMs: now },
      { type: "post_pending", id: "p", pendingId: "h1", code: "x" },
      "PENDING_TRANSFER_EXPIRED",
    ],
    [
      "voiding a posted hold",
      { status: "posted", remainingMinor: 0n },
      { type: "void_pending", id: "v", pendingId: "h1", code: "x" },
      "PENDING_TRANSFER_ALREADY_RESOLVED",
    ],
  ])("refuses %s", (_name, overrides, request, code) => {
    expect(planTransfers([request], held(), hold(overrides), now)).toMatchObject({ ok: false, code });
  });

  it("voids release the whole remaining hold", () => {
    const result = planTransfers(
      [{ type: "void_pending", id: "v", pendingId: "h1", code: "cancel" }],
      held(),
      hold(),
      now,
    );
    expect(result.ok && balanceOf(result.value.accounts.get("alice")!)).toMatchObject({
      availableMinor: 100n,
      pendingDebitsMinor: 0n,
    });
  });
});

describe("conservation (property)", () => {
  const ids = ["issuance", "alice", "bob", "carol"];
  const request = fc.oneof(
    fc.record({
      type: fc.constantFrom("posted" as const, "pending" as const),
      debit: fc.constantFrom(...ids),
      credit: fc.constantFrom(...ids),
      amount: fc.bigInt({ min: -5n, max: 200n }),
    }),
    fc.record({
      type: fc.constantFrom("post_pending" as const, "void_pending" as const),
      hold: fc.nat(30),
      amount: fc.bigInt({ min: 1n, max: 100n }),
      final: fc.boolean(),
    }),
  );

  it("a random sequence of valid and invalid transfers never creates or loses value", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(request, { minLength: 1, maxLength: 3 }), { maxLength: 40 }),
        (groups) => {
          let accounts = accountsOf(
            ["issuance", "CC", false, 0n],
            ["alice", "CC", true, 0n],
            ["bob", "CC", true, 0n],
            ["carol", "CC", true, 0n],
          );
          let holds = new Map<string, HoldState>();
          let counter = 0;
          for (const group of groups) {
            const requests: TransferRequest[] = group.map((item) => {
              const id = `t${counter++}`;
              if (!("hold" in item)) {
                return item.type === "posted"
                  ? {
                      type: "posted",
                      id,
                      debitAccountId: item.debit,
                      creditAccountId: item.credit,
                      asset: "CC",
                      amountMinor: item.amount,
                      code: "x",
                    }
                  : {
                      type: "pending",
                      id,
                      debitAccountId: item.debit,
                      creditAccountId: item.credit,
                      asset: "CC",
                      amountMinor: item.amount,
                      code: "x",
                      timeoutMs: null,
                    };
              }
              const pendingId = `t${item.hold}`;
              return item.type === "post_pending"
                ? {
                    type: "post_pending",
                    id,
                    pendingId,
                    amountMinor: item.amount,
                    final: item.final,
                    code: "x",
                  }
                : { type: "void_pending", id, pendingId, code: "x" };
            });
            const result = planTransfers(requests, accounts, holds, now);
            if (!result.ok) continue;
            accounts = new Map([...accounts, ...result.value.accounts]);
            holds = new Map([...holds, ...result.value.holds]);
          }
          let posted = 0n;
          let pendingDebits = 0n;
          let pendingCredits = 0n;
          for (const account of accounts.values()) {
            posted += balanceOf(account).postedMinor;
            pendingDebits += account.debitsPendingMinor;
            pendingCredits += account.creditsPendingMinor;
            if (account.debitsMustNotExceedCredits)
              expect(balanceOf(account).availableMinor).toBeGreaterThanOrEqual(0n);
          }
          let remaining = 0n;
          for (const hold of holds.values()) remaining += hold.remainingMinor;
          expect(posted).toBe(0n);
          expect(pendingDebits).toBe(pendingCredits);
          expect(pendingDebits).toBe(remaining);
        },
      ),
      { numRuns: 300 },
    );
  });
});
