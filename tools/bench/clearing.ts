/**
 * Benchmark: clearing one exit round of 1,000,000 seeded random bids versus merely sorting the
 * same bids by (price, submission order). The budget is clearRound ≤ 2 × the sort.
 *
 * Run with `npx tsx tools/bench/clearing.ts`: the domain modules import each other without file
 * extensions, which Node's own type stripping cannot resolve, so plain `node` fails here.
 * `run()` is exported for a bench runner.
 */
import { pathToFileURL } from "node:url";
import { clearRound, type ExitBid } from "../../src/pools/core/auction/clearing.ts";

/** Bids per benchmark round. */
export const benchBidsCount = 1_000_000;
/** Timed repetitions of each side; the median is reported. */
export const benchRepetitionsCount = 3;
/** Seed of the bid generator, so every run clears the same book. */
export const benchSeed = 20_260_101;

/** Mulberry32: a small seeded generator of floats in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * `count` bids: amounts 1–10,000 TFP with 7 decimals, prices 0.05–0.12 USDC per TFP with 6
 * decimals (so many bids tie), submission order shuffled against input order.
 */
export function generateBids(count: number, seed: number): ExitBid[] {
  const random = seededRandom(seed);
  const bids: ExitBid[] = [];
  for (let index = 0; index < count; index += 1) {
    const amountMinor = BigInt(1 + Math.floor(random() * 10_000 * 10_000_000));
    const priceMicro = 50_000 + Math.floor(random() * 70_001);
    const minPrice = `0.${String(priceMicro).padStart(6, "0")}`;
    bids.push({ id: `bid_${index}`, amountMinor, minPrice, submitSeq: index });
  }
  for (let index = count - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    const left = bids[index]!;
    const right = bids[other]!;
    bids[index] = { ...left, submitSeq: right.submitSeq };
    bids[other] = { ...right, submitSeq: left.submitSeq };
  }
  return bids;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The baseline: key each bid by its numeric price once, then sort by (price, submitSeq). */
function sortBids(bids: readonly ExitBid[]): number {
  const keyed = bids.map((bid) => ({ bid, price: Number(bid.minPrice), seq: bid.submitSeq }));
  keyed.sort((left, right) => left.price - right.price || left.seq - right.seq);
  return keyed.length;
}

/** Times sorting and clearing the same seeded book; figures in milliseconds, ratio unitless. */
export async function run(): Promise<{ name: string; figures: Record<string, number> }> {
  const bids = generateBids(benchBidsCount, benchSeed);
  const totalMinor = bids.reduce((sum, bid) => sum + bid.amountMinor, 0n);
  const capMinor = totalMinor / 3n;
  const input = { bids, capMinor, priceCeiling: "0.1" } as const;

  sortBids(bids); // warm-up of both paths, untimed
  let filledMinor = clearRound(input).filledMinor;
  const sortTimesMs: number[] = [];
  const clearTimesMs: number[] = [];
  for (let repetition = 0; repetition < benchRepetitionsCount; repetition += 1) {
    let start = performance.now();
    sortBids(bids);
    sortTimesMs.push(performance.now() - start);
    start = performance.now();
    filledMinor = clearRound(input).filledMinor;
    clearTimesMs.push(performance.now() - start);
  }
  const sortMs = median(sortTimesMs);
  const clearMs = median(clearTimesMs);
  return {
    name: "clearing",
    figures: {
      bidsCount: bids.length,
      sortMs: Math.round(sortMs),
      clearRoundMs: Math.round(clearMs),
      ratio: Number((clearMs / sortMs).toFixed(2)),
      capFilled: Number(filledMinor === capMinor),
    },
  };
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  run().then(({ figures }) => {
    console.log(
      `clearing ${figures.bidsCount} bids: sort ${figures.sortMs} ms, clearRound ${figures.clearRoundMs} ms, ratio ${figures.ratio} (budget ≤ 2)`,
    );
  });
}
