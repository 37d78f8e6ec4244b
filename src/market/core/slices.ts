/**
 * Slices: a node's resources divided into `n` equal, standardised parts (ECONOMICS.md §11).
 *
 * Per-slice values are full-precision decimal strings: quotients carry `Dec`'s 60 significant
 * digits (the last digit rounded half-even, Dec's configuration); nothing is rounded for
 * display here. No CPU oversubscription is assumed.
 */
import { fail, ok, type Result } from "../../kit/result";
import {
  defaultMarketParameters,
  type MarketParameters,
  parseNonNegativeDecimal,
  parsePositiveDecimal,
} from "./parameters";

/** Upper bound on any node's slice count (and so on loops over slice counts). */
export const slicesPerNodeMax = 10_000;

/**
 * A node's hardware as decimal strings. `cores`, `passmark`, `memGb`, `ssdGb` must be > 0;
 * `aiGb` (AI/GPU memory, GB) and `tps` (tokens per second) are ≥ 0, and 0 on CPU-only nodes.
 * `maxSlices` is an integer in 1..`slicesPerNodeMax`.
 */
export type NodeHardware = {
  readonly cores: string;
  readonly passmark: string;
  readonly memGb: string;
  readonly ssdGb: string;
  readonly aiGb: string;
  readonly tps: string;
  readonly maxSlices: number;
};

/**
 * The resources of one slice when the node is cut into `sliceCount` slices (§11.3), as
 * full-precision decimal strings: cores, Passmark points, RAM GB after the node reserve,
 * SSD GB, AI/GPU memory GB and tokens per second.
 */
export type SliceResources = {
  readonly sliceCount: number;
  readonly cores: string;
  readonly passmark: string;
  readonly memGb: string;
  readonly ssdGb: string;
  readonly aiGb: string;
  readonly tps: string;
};

/**
 * Divides `hardware` into `sliceCount` slices (§11.3):
 * `cores/n`, `passmark/n`, `(memGb − nodeReservedMemoryGb)/n`, `ssdGb/n`, `aiGb/n`, `tps/n`.
 *
 * Fails with `VALIDATION_FAILED` and the offending `field` when: `maxSlices` is not an integer in
 * 1..`slicesPerNodeMax`; `sliceCount` is not an integer in 1..`maxSlices`; a resource is not a
 * plain decimal, or cores / passmark / memGb / ssdGb are ≤ 0, or aiGb / tps are < 0; memGb is not
 * above the reserve. Invariant on success: every per-slice value × sliceCount gives back the node
 * value (memory: net of the reserve), up to the 60-significant-digit precision of the quotient.
 */
export function sliceResources(
  hardware: NodeHardware,
  sliceCount: number,
  params: MarketParameters = defaultMarketParameters,
): Result<SliceResources> {
  if (!Number.isSafeInteger(hardware.maxSlices) || hardware.maxSlices < 1) {
    return fail("VALIDATION_FAILED", "maxSlices must be a positive integer", "maxSlices");
  }
  if (hardware.maxSlices > slicesPerNodeMax) {
    return fail("VALIDATION_FAILED", `maxSlices must be at most ${slicesPerNodeMax}`, "maxSlices");
  }
  if (!Number.isSafeInteger(sliceCount) || sliceCount < 1 || sliceCount > hardware.maxSlices) {
    return fail(
      "VALIDATION_FAILED",
      `sliceCount must be an integer from 1 to ${hardware.maxSlices}, got ${sliceCount}`,
      "sliceCount",
    );
  }
  const cores = parsePositiveDecimal(hardware.cores, "cores");
  if (!cores.ok) return cores;
  const passmark = parsePositiveDecimal(hardware.passmark, "passmark");
  if (!passmark.ok) return passmark;
  const memGb = parsePositiveDecimal(hardware.memGb, "memGb");
  if (!memGb.ok) return memGb;
  const ssdGb = parsePositiveDecimal(hardware.ssdGb, "ssdGb");
  if (!ssdGb.ok) return ssdGb;
  const aiGb = parseNonNegativeDecimal(hardware.aiGb, "aiGb");
  if (!aiGb.ok) return aiGb;
  const tps = parseNonNegativeDecimal(hardware.tps, "tps");
  if (!tps.ok) return tps;
  const netMemGb = memGb.value.sub(params.nodeReservedMemoryGb);
  if (!netMemGb.gt(0)) {
    return fail(
      "VALIDATION_FAILED",
      `memGb must exceed the ${params.nodeReservedMemoryGb} GB reserved per node, got ${hardware.memGb}`,
      "memGb",
    );
  }
  return ok({
    sliceCount,
    cores: cores.value.div(sliceCount).toString(),
    passmark: passmark.value.div(sliceCount).toString(),
    memGb: netMemGb.div(sliceCount).toString(),
    ssdGb: ssdGb.value.div(sliceCount).toString(),
    aiGb: aiGb.value.div(sliceCount).toString(),
    tps: tps.value.div(sliceCount).toString(),
  });
}
