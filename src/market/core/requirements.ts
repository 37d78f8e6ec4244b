/**
 * Requirements of capacity requests and bid packages, and whether a slice meets them
 * (ECONOMICS.md §14, §16). Also ThreeFold's V0 bid packages as data.
 *
 * Every minimum is inclusive (a slice with exactly 4 GB meets "≥ 4 GB") and compared exactly
 * against the full-precision per-slice values of slices.ts.
 */

import { fail, ok, type Result } from "../../kit/result";
import { Dec } from "../../ledger/core/money";
import { defaultMarketParameters, type MarketParameters, parseNonNegativeDecimal } from "./parameters";
import { type NodeHardware, type SliceResources, sliceResources } from "./slices";

/**
 * What a request or bid package demands of one slice; an absent key demands nothing. Minimums are
 * non-negative decimal strings in the units of `SliceResources` (cores, Passmark points, GB, GB,
 * GB of AI/GPU memory, tokens per second). `gpuRequired: true` demands a GPU/AI accelerator
 * (`false` or absent: none required, GPU nodes still qualify). `certifiedRequired: true` demands
 * a certified node. `region`, when given, must equal the offer's region exactly (case-sensitive).
 */
export type SliceRequirements = {
  readonly minCores?: string;
  readonly minPassmark?: string;
  readonly minMemGb?: string;
  readonly minSsdGb?: string;
  readonly minAiGb?: string;
  readonly minTps?: string;
  readonly gpuRequired?: boolean;
  readonly certifiedRequired?: boolean;
  readonly region?: string;
};

/** A requirement's name (a key of `SliceRequirements`). */
export type RequirementName = keyof SliceRequirements;

/** Node attributes that are not resources: certification (§14) and region. */
export type NodeAttributes = {
  readonly certified: boolean;
  readonly region?: string;
};

/**
 * A slice on offer: its resources plus its node's attributes. The slice has a GPU/AI accelerator
 * exactly when its AI/GPU memory `aiGb` is > 0 (§11.1 gives AI nodes "AI/GPU memory").
 */
export type SliceOffer = SliceResources & NodeAttributes;

const minimumKeys = [
  ["minCores", "cores"],
  ["minPassmark", "passmark"],
  ["minMemGb", "memGb"],
  ["minSsdGb", "ssdGb"],
  ["minAiGb", "aiGb"],
  ["minTps", "tps"],
] as const;

/**
 * Requirement names as stored before the API named every minimum `min…` (`memGbMin` …); rows
 * written then (capacity requests, bid packages) are read through `requirementsFromStored`.
 */
const legacyMinimumNames: Readonly<Record<string, RequirementName>> = {
  coresMin: "minCores",
  passmarkMin: "minPassmark",
  memGbMin: "minMemGb",
  ssdGbMin: "minSsdGb",
  aiGbMin: "minAiGb",
  tpsMin: "minTps",
};

/** Requirements from their stored JSON text, legacy minimum names renamed (see above). */
export function requirementsFromStored(text: string): SliceRequirements {
  const stored = JSON.parse(text) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(stored).map(([key, value]) => [legacyMinimumNames[key] ?? key, value]),
  ) as SliceRequirements;
}

/** Longest accepted region code, in characters. */
export const regionLengthMax = 64;

/**
 * Validates requirements from outside (a request body, a bid): every minimum must be a
 * non-negative plain decimal and `region` 1..`regionLengthMax` characters. Fails with
 * `VALIDATION_FAILED` naming the field; returns the same object on success.
 */
export function validateRequirements(requirements: SliceRequirements): Result<SliceRequirements> {
  for (const [key] of minimumKeys) {
    const value = requirements[key];
    if (value === undefined) continue;
    const parsed = parseNonNegativeDecimal(value, key);
    if (!parsed.ok) return parsed;
  }
  const { region } = requirements;
  if (region !== undefined && (region.length < 1 || region.length > regionLengthMax)) {
    return fail("VALIDATION_FAILED", `region must be 1 to ${regionLengthMax} characters`, "region");
  }
  return ok(requirements);
}

/**
 * The requirements `offer` does not meet, in the order of `SliceRequirements`; empty when it meets
 * all. Requirements must have passed `validateRequirements` (a malformed minimum throws).
 */
export function unmetRequirements(offer: SliceOffer, requirements: SliceRequirements): RequirementName[] {
  const unmet: RequirementName[] = [];
  for (const [key, resource] of minimumKeys) {
    const minimum = requirements[key];
    if (minimum !== undefined && new Dec(offer[resource]).lt(minimum)) unmet.push(key);
  }
  if (requirements.gpuRequired === true && !new Dec(offer.aiGb).gt(0)) unmet.push("gpuRequired");
  if (requirements.certifiedRequired === true && !offer.certified) unmet.push("certifiedRequired");
  if (requirements.region !== undefined && offer.region !== requirements.region) unmet.push("region");
  return unmet;
}

/** True when `offer` meets every requirement (see `unmetRequirements`). */
export function meetsRequirements(offer: SliceOffer, requirements: SliceRequirements): boolean {
  return unmetRequirements(offer, requirements).length === 0;
}

/**
 * `meetsRequirements` as a Result: the offer itself, or `REQUIREMENTS_NOT_MET` whose `detail`
 * lists every unmet requirement with the demanded and offered values.
 */
export function checkRequirements(offer: SliceOffer, requirements: SliceRequirements): Result<SliceOffer> {
  const unmet = unmetRequirements(offer, requirements);
  if (unmet.length === 0) return ok(offer);
  const described = unmet.map((name) => {
    const pair = minimumKeys.find(([key]) => key === name);
    if (pair !== undefined) return `${name} ${requirements[pair[0]]} (slice has ${offer[pair[1]]})`;
    if (name === "region")
      return `region ${requirements.region} (slice is in ${offer.region ?? "no region"})`;
    return name;
  });
  return fail("REQUIREMENTS_NOT_MET", `slice does not meet: ${described.join("; ")}`);
}

/**
 * The largest slice count n in 1..`hardware.maxSlices` at which one slice of the node meets
 * `requirements`, or `null` when none does. Per-slice resources only shrink as n grows, so every
 * smaller n meets them too. Fails like `sliceResources` on invalid hardware.
 */
export function largestEligibleSliceCount(
  hardware: NodeHardware,
  attributes: NodeAttributes,
  requirements: SliceRequirements,
  params: MarketParameters = defaultMarketParameters,
): Result<number | null> {
  const smallest = sliceResources(hardware, 1, params);
  if (!smallest.ok) return smallest;
  for (let sliceCount = hardware.maxSlices; sliceCount >= 1; sliceCount -= 1) {
    const slice = sliceResources(hardware, sliceCount, params);
    if (!slice.ok) return slice;
    if (meetsRequirements({ ...slice.value, ...attributes }, requirements)) return ok(sliceCount);
  }
  return ok(null);
}

/**
 * A standing ThreeFold bid for slices (§16): what each slice must offer, the fixed price paid in
 * CC per slice per month, and how many slices ThreeFold commits to.
 */
export type BidPackage = {
  readonly id: string;
  readonly name: string;
  readonly requirements: SliceRequirements;
  readonly priceCcPerSliceMonth: string;
  readonly slicesCommitted: number;
};

/**
 * ThreeFold's V0 bid packages (§16). "No GPU" in the spec's Standard row is read as "no GPU
 * required": the spec lists AI nodes as eligible. The AI Slice packages are not retrievable from
 * the sources and are absent. Prices are CC, which at the 0.128 USD reference is below a USD
 * memory band's minimum (§20 Q7).
 */
export const threefoldBidPackages = Object.freeze({
  standardCompute: Object.freeze({
    id: "standard-compute",
    name: "Standard Compute Slice",
    requirements: Object.freeze({ minPassmark: "2000", minMemGb: "4", gpuRequired: false }),
    priceCcPerSliceMonth: "1.2",
    slicesCommitted: 20_000,
  }),
  memoryHeavy: Object.freeze({
    id: "memory-heavy",
    name: "Memory-Heavy Slice",
    requirements: Object.freeze({ minMemGb: "8" }),
    priceCcPerSliceMonth: "2.4",
    slicesCommitted: 2_000,
  }),
} satisfies Record<string, BidPackage>);
