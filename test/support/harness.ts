/**
 * The test harness for workerd tests: direct database access for seeding and checking, keys
 * for every role, funded accounts, and typed request helpers that go through the real Worker.
 */

import { env, SELF } from "cloudflare:test";
import type { Client } from "@libsql/client";
import { beforeAll, expect } from "vitest";
import { createApiKey } from "../../src/kit/auth";
import { openDatabase } from "../../src/kit/db/client";
import type { AccountKind, Role } from "../../src/kit/db/schema";
import { randomBase62 } from "../../src/kit/ids";
import { createAccount } from "../../src/ledger/accounts";
import type { AssetCode } from "../../src/ledger/core/money";
import { createTransfers } from "../../src/ledger/store";

export function database(): Client {
  return openDatabase(env);
}

/** A unique owner id, so tests sharing the database never see each other's rows. */
export function uniqueOwner(prefix = "usr"): string {
  return `${prefix}_${randomBase62(12)}`;
}

export type Seeded = { key: string; keyId: string; ownerId: string; role: Role };

/** Creates an API key straight in the database (bootstrap: no admin needed). */
export async function seedKey(role: Role, ownerId = uniqueOwner(role)): Promise<Seeded> {
  const { record, plaintext } = await createApiKey(database(), { ownerId, role, name: `test ${role}` });
  return { key: plaintext, keyId: record.id, ownerId, role };
}

export type ApiResponse<T = Record<string, unknown>> = { status: number; body: T; headers: Headers };

/** Calls the Worker like a client would. `body` is JSON-encoded unless `rawBody` is given. */
export async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const response = await SELF.fetch(`http://market.test${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    // keep the text: some responses (docs) are not JSON
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

/** An account for `ownerId`, credited with `amountMinor` minted from the asset's issuance account. */
export async function fundedAccount(
  ownerId: string,
  asset: AssetCode,
  amountMinor: bigint,
  kind: AccountKind = "user",
): Promise<string> {
  const client = database();
  const account = await createAccount(client, { ownerId, asset, kind });
  if (amountMinor > 0n) {
    const result = await createTransfers(client, [
      {
        type: "posted",
        id: `seed_${account.id}`,
        debitAccountId: `acc_issuance_${asset.toLowerCase()}`,
        creditAccountId: account.id,
        asset,
        amountMinor,
        code: "test_seed",
      },
    ]);
    if (!result.ok) throw new Error(`seeding failed: ${result.detail}`);
  }
  return account.id;
}

/** Row counts of the tables value-moving routes write to, to prove a refusal wrote nothing. */
export async function tableCounts(): Promise<Record<string, number>> {
  const result = await database().execute(
    "SELECT (SELECT count(*) FROM accounts) AS accounts, (SELECT count(*) FROM transfers) AS transfers, (SELECT count(*) FROM api_keys) AS api_keys, (SELECT count(*) FROM holds) AS holds",
  );
  const row = result.rows[0]!;
  return Object.fromEntries(Object.entries(row).map(([name, value]) => [name, Number(value)]));
}

/** Fetches an account's balances through the ledger, as integers. */
export async function balances(
  accountId: string,
): Promise<{ posted: bigint; available: bigint; pendingDebits: bigint }> {
  const result = await database().execute({
    sql: "SELECT credits_posted - debits_posted AS posted, credits_posted - debits_posted - debits_pending AS available, debits_pending FROM accounts WHERE id = ?",
    args: [accountId],
  });
  const row = result.rows[0];
  if (!row) throw new Error(`no account ${accountId}`);
  return {
    posted: BigInt(row.posted as bigint),
    available: BigInt(row.available as bigint),
    pendingDebits: BigInt(row.debits_pending as bigint),
  };
}

/**
 * Runs `body` with every price round of `kind` expired, as if the oracle had none, and restores
 * them after (test files run one at a time, so nothing else sees the gap).
 */
export async function withoutPrice<T>(kind: "gold" | "tft", body: () => Promise<T>): Promise<T> {
  const client = database();
  const rows = await client.execute({
    sql: "SELECT id, expires_at FROM price_rounds WHERE kind = ?",
    args: [kind],
  });
  await client.execute({ sql: "UPDATE price_rounds SET expires_at = 1 WHERE kind = ?", args: [kind] });
  try {
    return await body();
  } finally {
    if (rows.rows.length > 0) {
      await client.batch(
        rows.rows.map((row) => ({
          sql: "UPDATE price_rounds SET expires_at = ? WHERE id = ?",
          args: [row.expires_at === null ? null : Number(row.expires_at), String(row.id)],
        })),
        "write",
      );
    }
  }
}

/**
 * The ledger's last transfer when this test file started. Each test file gets fresh Durable
 * Object storage while the libSQL database is shared by every file of the run, so the holds of
 * leases and bids placed by earlier files are tracked by no book any more: `expectAuditClean`
 * leaves out mismatches about holds placed before this file began. A sequence number, not a time:
 * books whose clocks tests shift forward place holds stamped in the future.
 */
let fileStartSeq: bigint | null = null;

// Registered on the file's root suite when a test file imports the harness.
beforeAll(async () => {
  const result = await database().execute("SELECT COALESCE(MAX(seq), 0) AS seq FROM transfers");
  fileStartSeq = BigInt(result.rows[0]?.seq as bigint);
});

type AuditBody = {
  balanced: boolean;
  assets: {
    asset: string;
    postedSumMinor: string;
    pendingDebitsMinor: string;
    pendingCreditsMinor: string;
  }[];
  mismatches: unknown[];
  holdMismatches: unknown[];
  market: { mismatchesTotal: number };
  marketMismatches: { kind: string; id: string; holdSeq: string | null }[];
};

let auditor: Promise<Seeded> | null = null;

/**
 * Calls `GET /v1/ledger/audit` as an admin and asserts it is clean: every account and hold agrees
 * with the transfers, every asset sums to zero, and the market agrees with the ledger (no running
 * lease or open bid without its live hold, no live hold that belongs to nothing) for everything
 * placed since this file began. Call it at the end of every concurrency test.
 */
export async function expectAuditClean(): Promise<void> {
  auditor ??= seedKey("admin");
  const response = await call<AuditBody>("GET", "/v1/ledger/audit", { key: (await auditor).key });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  const report = response.body;
  const unbalancedAssets = report.assets.filter(
    (asset) => asset.postedSumMinor !== "0" || asset.pendingDebitsMinor !== asset.pendingCreditsMinor,
  );
  const startSeq = fileStartSeq ?? 0n;
  const marketMismatches = report.marketMismatches.filter(
    (mismatch) => mismatch.holdSeq === null || BigInt(mismatch.holdSeq) > startSeq,
  );
  expect({
    unbalancedAssets,
    mismatches: report.mismatches,
    holdMismatches: report.holdMismatches,
    marketMismatches,
  }).toEqual({ unbalancedAssets: [], mismatches: [], holdMismatches: [], marketMismatches: [] });
}
