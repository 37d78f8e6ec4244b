/**
 * CC ↔ TFP conversions, quoted then executed. Two pools (ECONOMICS §5):
 *
 * - `entry` (Pool 1, §6): TFP → CC at the fixed rate with the market as a floor
 *   (`ccMintedForTfp`: 2 TFP per CC while the TFT market price is at or below `cc_usd / 2`). The
 *   reverse, CC → TFP, gives back `cc × min(TFT_PER_CC_FIXED, cc_usd / tft_market)` TFP (the entry
 *   rate inverted, so a round trip never gains) and is off unless `CC_TO_TFP_ENTRY_ENABLED`.
 *   Both accounts must be of kind `user`: Pool 1 CC is purchased CC.
 * - `market` (Pool 2, §7.2, peg-consistent): `tfpForCc` / `ccForTfp` at the TFT market price,
 *   between a CC and a TFP account of the same kind. CC → TFP only from `farmer` accounts (CC
 *   earned as revenue, §7.1 V1, §20 Q15) and only while `CC_TO_TFP_MARKET_ENABLED` (default on).
 *
 * Why the kind rules: while TFT trades below the fixed rate, Pool 1 values TFP above the market
 * and Pool 2 at the market, so TFP obtained in Pool 2 must never enter Pool 1 (earned CC → TFP at
 * market → CC at the fixed rate would multiply CC). Pool 2 TFP lands in a `farmer` account and
 * Pool 1 takes TFP only from `user` accounts (which deposits from the bridge credit).
 *
 * Every conversion burns the input (the account → acc_burn_<asset>) and mints the output
 * (acc_issuance_<asset> → the account) in one linked write, with transfer ids derived from the
 * quote id, so a quote executes at most once. Every amount is rounded down for the holder: at
 * most one minor unit below the exact value.
 */
import type { Client, InStatement, ResultSet, Row } from "@libsql/client";
import type { Principal } from "../kit/auth";
import { type EffectRecord, effectRecordStatements } from "../kit/db/idempotency";
import { decodeRow } from "../kit/db/rows";
import type { AccountKind } from "../kit/db/schema";
import * as tables from "../kit/db/schema";
import { newId } from "../kit/ids";
import { fail, ok, type Result } from "../kit/result";
import { type Account, accountFrom, accountStatement } from "../ledger/accounts";
import { convertAmount, Dec } from "../ledger/core/money";
import { createTransfers, type UnnumberedTransfer } from "../ledger/store";
import {
  type CcOrigin,
  ccForTfp,
  ccMintedForTfp,
  convertCcToTfp,
  type PegPrices,
  tfpForCc,
} from "../oracle/core/peg";
import { livePegOf, type Peg, pegFrom, pegStatements } from "../oracle/prices";
import { holderKinds, systemAccount } from "./accounts";
import type { CreditsConfig } from "./config";
import { transfersById } from "./effects";

export const conversionPools = ["entry", "market"] as const;
export type ConversionPool = (typeof conversionPools)[number];

export type ConversionQuote = {
  id: string;
  ownerId: string;
  pool: ConversionPool;
  fromAccountId: string;
  toAccountId: string;
  fromAsset: "CC" | "TFP";
  toAsset: "CC" | "TFP";
  amountInMinor: bigint;
  amountOutMinor: bigint;
  ccUsd: string;
  tftMarketUsd: string;
  goldRoundId: string;
  tftRoundId: string;
  expiresAtMs: number;
  executedAtMs: number | null;
  createdAtMs: number;
};

function quoteFromRow(row: Row): ConversionQuote {
  return decodeRow(tables.conversionQuotes, row);
}

export async function getConversionQuote(client: Client, id: string): Promise<ConversionQuote | null> {
  return quoteFrom(await client.execute(quoteStatement(id)));
}

function quoteStatement(id: string): InStatement {
  return { sql: "SELECT * FROM conversion_quotes WHERE id = ?", args: [id] };
}

function quoteFrom(result: ResultSet | undefined): ConversionQuote | null {
  const row = result?.rows[0];
  return row ? quoteFromRow(row) : null;
}

/** The origin of CC in an account of `kind` (the rule shared with the marketplace). */
export function ccOriginOf(kind: AccountKind): CcOrigin {
  return kind === "farmer" ? "earned" : "purchased";
}

/**
 * Pool 1 reverse: CC → TFP at the inverse of the entry rate, `cc × min(fixed, ccUsd / market)`
 * TFP (×`tfpPerTft`), rounded down. Exact: each branch is a product of decimals.
 */
function entryTfpForCc(ccMinor: bigint, prices: PegPrices, parameters: CreditsConfig["peg"]): bigint {
  const fixed = new Dec(parameters.tftPerCcFixed);
  const atFixedRate = new Dec(prices.tftMarketUsd).mul(fixed).lessThanOrEqualTo(prices.ccUsd);
  if (!atFixedRate) return tfpForCc(ccMinor, prices);
  return convertAmount("CC", ccMinor, "TFP", fixed.mul(parameters.tfpPerTft), "floor");
}

function ownedAccount(
  account: Account | null,
  principal: Pick<Principal, "role" | "ownerId">,
  id: string,
  field: string,
): Result<Account> {
  if (!account) return fail("ACCOUNT_NOT_FOUND", `No account ${id}`, field);
  if (principal.role !== "admin" && account.ownerId !== principal.ownerId) {
    return fail("FORBIDDEN", "This account belongs to another owner", field);
  }
  if (account.closed) return fail("ACCOUNT_CLOSED", `Account ${id} is closed`, field);
  return ok(account);
}

/** What a quote is made from: both accounts and the peg, read in one batch (`conversionQuoteReads`). */
export type ConversionQuoteFacts = { from: Account | null; to: Account | null; peg: Peg };

/** The reads of a quote's facts: the two accounts, then the peg. */
export function conversionQuoteReads(
  fromAccountId: string,
  toAccountId: string,
  nowMs: number,
): InStatement[] {
  return [accountStatement(fromAccountId), accountStatement(toAccountId), ...pegStatements(nowMs)];
}

/** The facts from the answers to `conversionQuoteReads`. */
export function conversionQuoteFacts(results: readonly ResultSet[], nowMs: number): ConversionQuoteFacts {
  return {
    from: accountFrom(results[0]),
    to: accountFrom(results[1]),
    peg: pegFrom(results.slice(2), nowMs),
  };
}

/**
 * Quotes converting `amountMinor` of the `from` account's asset into the `to` account's asset
 * (one CC and one TFP account of the same owner) in `pool`, at the live peg. The quote holds for
 * `config.conversionQuoteTtlMs`. Refusals: ORACLE_HALTED, CONVERSION_DISABLED, ORIGIN_NOT_CONVERTIBLE
 * (the kind rules above), ASSET_MISMATCH, VALIDATION_FAILED (too small to give anything).
 */
export async function createConversionQuote(
  client: Client,
  principal: Pick<Principal, "role" | "ownerId">,
  input: { pool: ConversionPool; fromAccountId: string; toAccountId: string; amountMinor: bigint },
  facts: ConversionQuoteFacts,
  config: CreditsConfig,
  nowMs: number,
): Promise<Result<ConversionQuote>> {
  const from = ownedAccount(facts.from, principal, input.fromAccountId, "fromAccountId");
  if (!from.ok) return from;
  const to = ownedAccount(facts.to, principal, input.toAccountId, "toAccountId");
  if (!to.ok) return to;
  if (from.value.ownerId !== to.value.ownerId) {
    return fail("VALIDATION_FAILED", "Both accounts must belong to the same owner", "toAccountId");
  }
  const fromAsset = from.value.asset;
  const toAsset = to.value.asset;
  if (!((fromAsset === "CC" && toAsset === "TFP") || (fromAsset === "TFP" && toAsset === "CC"))) {
    return fail(
      "ASSET_MISMATCH",
      "A conversion goes from a CC account to a TFP account or back",
      "toAccountId",
    );
  }
  const kinds: readonly AccountKind[] = holderKinds;
  if (!kinds.includes(from.value.kind) || !kinds.includes(to.value.kind)) {
    return fail("ORIGIN_NOT_CONVERTIBLE", "Conversions are between holder accounts", "fromAccountId");
  }
  if (input.pool === "entry" && (from.value.kind !== "user" || to.value.kind !== "user")) {
    return fail(
      "ORIGIN_NOT_CONVERTIBLE",
      "Pool 1 (entry) converts between accounts of kind user: TFP earned in Pool 2 cannot enter it",
      "fromAccountId",
    );
  }
  if (input.pool === "market" && from.value.kind !== to.value.kind) {
    return fail(
      "ORIGIN_NOT_CONVERTIBLE",
      "Pool 2 (market) converts between a CC and a TFP account of the same kind",
      "toAccountId",
    );
  }
  if (input.pool === "entry" && fromAsset === "CC" && !config.entryCcToTfpEnabled) {
    return fail(
      "CONVERSION_DISABLED",
      "Pool 1 is one-way: CC cannot be converted back to TFP at the fixed rate",
    );
  }
  const live = livePegOf(facts.peg);
  if (!live.ok) return live;
  const prices: PegPrices = { ccUsd: live.value.ccUsd, tftMarketUsd: live.value.tftMarketUsd };
  let amountOutMinor: bigint;
  if (input.pool === "entry") {
    amountOutMinor =
      fromAsset === "TFP"
        ? ccMintedForTfp(input.amountMinor, prices, config.peg)
        : entryTfpForCc(input.amountMinor, prices, config.peg);
  } else if (fromAsset === "TFP") {
    amountOutMinor = ccForTfp(input.amountMinor, prices);
  } else {
    const converted = convertCcToTfp(input.amountMinor, ccOriginOf(from.value.kind), prices, config.peg);
    if (!converted.ok) return { ...converted, field: "fromAccountId" };
    amountOutMinor = converted.value;
  }
  if (amountOutMinor <= 0n) {
    return fail("VALIDATION_FAILED", "The amount is too small to convert into one minor unit", "amount");
  }
  const { gold, tft } = live.value.peg;
  if (!gold || !tft) return fail("ORACLE_HALTED", "No price in force");
  const quote: ConversionQuote = {
    id: newId("cnv"),
    ownerId: from.value.ownerId ?? principal.ownerId,
    pool: input.pool,
    fromAccountId: from.value.id,
    toAccountId: to.value.id,
    fromAsset,
    toAsset,
    amountInMinor: input.amountMinor,
    amountOutMinor,
    ccUsd: live.value.ccUsd,
    tftMarketUsd: live.value.tftMarketUsd,
    goldRoundId: gold.roundId,
    tftRoundId: tft.roundId,
    expiresAtMs: nowMs + config.conversionQuoteTtlMs,
    executedAtMs: null,
    createdAtMs: nowMs,
  };
  await client.execute({
    sql: "INSERT INTO conversion_quotes (id, owner_id, pool, from_account_id, to_account_id, from_asset, to_asset, amount_in, amount_out, cc_usd, tft_market_usd, gold_round_id, tft_round_id, expires_at, executed_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
    args: [
      quote.id,
      quote.ownerId,
      quote.pool,
      quote.fromAccountId,
      quote.toAccountId,
      quote.fromAsset,
      quote.toAsset,
      quote.amountInMinor,
      quote.amountOutMinor,
      quote.ccUsd,
      quote.tftMarketUsd,
      quote.goldRoundId,
      quote.tftRoundId,
      quote.expiresAtMs,
      quote.createdAtMs,
    ],
  });
  return ok(quote);
}

function transferIds(quoteId: string): [burn: string, mint: string] {
  return [`${quoteId}_burn`, `${quoteId}_mint`];
}

/** What executing a quote needs: the quote and the peg, read in one batch (`conversionReads`). */
export type ConversionFacts = { quote: ConversionQuote | null; peg: Peg };

/** The reads of an execution's facts: the quote, then the peg. */
export function conversionReads(quoteId: string, nowMs: number): InStatement[] {
  return [quoteStatement(quoteId), ...pegStatements(nowMs)];
}

/** The facts from the answers to `conversionReads`. */
export function conversionFacts(results: readonly ResultSet[], nowMs: number): ConversionFacts {
  return { quote: quoteFrom(results[0]), peg: pegFrom(results.slice(1), nowMs) };
}

/** An executed conversion: the quote and its burn and mint. */
export type Conversion = { quote: ConversionQuote; transfers: readonly UnnumberedTransfer[] };

/**
 * Executes a quote: burns the input and mints the output in one linked write, with the quote
 * marked executed and (given `record`) the Idempotency-Key's record of the response. A quote
 * already executed returns its transfers again (`replayed`), however often and by whichever key
 * it is executed. QUOTE_EXPIRED after its expiry; ORACLE_HALTED when the oracle halted since;
 * INSUFFICIENT_FUNDS when the account no longer holds the input (nothing is written).
 */
export async function executeConversion(
  client: Client,
  principal: Pick<Principal, "role" | "ownerId">,
  quoteId: string,
  facts: ConversionFacts,
  nowMs: number,
  record?: EffectRecord<Conversion>,
): Promise<Result<Conversion & { replayed: boolean; recorded: boolean }>> {
  const quote = facts.quote;
  if (!quote) return fail("NOT_FOUND", `No conversion quote ${quoteId}`, "quoteId");
  if (principal.role !== "admin" && quote.ownerId !== principal.ownerId) {
    return fail("FORBIDDEN", "This quote belongs to another owner", "quoteId");
  }
  const [burnId, mintId] = transferIds(quote.id);
  if (quote.executedAtMs !== null) {
    const transfers = await transfersById(client, [burnId, mintId]);
    return ok({ quote, transfers, replayed: true, recorded: false });
  }
  if (nowMs >= quote.expiresAtMs) {
    return fail(
      "QUOTE_EXPIRED",
      `Quote ${quote.id} expired at ${new Date(quote.expiresAtMs).toISOString()}`,
      "quoteId",
    );
  }
  const live = livePegOf(facts.peg);
  if (!live.ok) return live;
  const metadata = { quoteId: quote.id, pool: quote.pool };
  const executed = { ...quote, executedAtMs: nowMs };
  let recorded = false;
  const written = await createTransfers(
    client,
    [
      {
        type: "posted",
        id: burnId,
        debitAccountId: quote.fromAccountId,
        creditAccountId: systemAccount("burn", quote.fromAsset),
        asset: quote.fromAsset,
        amountMinor: quote.amountInMinor,
        code: "conversion_burn",
        metadata,
      },
      {
        type: "posted",
        id: mintId,
        debitAccountId: systemAccount("issuance", quote.toAsset),
        creditAccountId: quote.toAccountId,
        asset: quote.toAsset,
        amountMinor: quote.amountOutMinor,
        code: "conversion_mint",
        metadata,
      },
    ],
    { nowMs },
    (transfers) => {
      const records = effectRecordStatements(record, { quote: executed, transfers }, nowMs);
      recorded = records.length > 0;
      return [
        {
          sql: "UPDATE conversion_quotes SET executed_at = ? WHERE id = ? AND executed_at IS NULL",
          args: [nowMs, quote.id],
        },
        ...records,
      ];
    },
  );
  if (!written.ok) {
    return written.code === "INSUFFICIENT_FUNDS"
      ? fail("INSUFFICIENT_FUNDS", `Account ${quote.fromAccountId} holds too little to convert`, "quoteId")
      : written;
  }
  // Written just now with the quote's update (and the record); else a racing execution wrote them.
  if (written.value[0]?.createdAtMs === nowMs) {
    return ok({ quote: executed, transfers: written.value, replayed: false, recorded });
  }
  const stored = (await getConversionQuote(client, quote.id)) ?? executed;
  return ok({ quote: stored, transfers: written.value, replayed: true, recorded: false });
}
