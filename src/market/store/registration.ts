/**
 * Registering a node: its slicing (§11.3), band (§12.2) and the farmer's prices checked against it
 * (§15), and the farmer's CC payout account (kind `farmer`: CC there is earned revenue, which
 * CC → TFP conversions rely on). Used by `POST /v1/nodes` and the demo seed.
 */
import type { InStatement, ResultSet } from "@libsql/client";
import { fail, ok, type Result } from "../../kit/result";
import {
  accountFrom,
  accountStatement,
  createAccountStatement,
  ownerAccountStatement,
} from "../../ledger/accounts";
import type { MarketParameters } from "../core/parameters";
import {
  type BandProfileName,
  ccFloorPrice,
  checkListedPrices,
  defaultBandProfile,
  sliceNode,
} from "../core/quote";
import type { NodeRecord } from "./nodes";

/** What a farmer registers: the node's identity, hardware and prices, before anything is derived. */
export type NodeRegistration = Pick<
  NodeRecord,
  | "id"
  | "farmerId"
  | "payoutAccountId"
  | "name"
  | "catalogueId"
  | "region"
  | "certified"
  | "hardware"
  | "hardwareCostUsd"
  | "sliceCount"
  | "pricePerSliceMonth"
  | "pricePerSliceHour"
  | "autoAcceptAboveCcPerSliceHour"
  | "state"
> & {
  bandProfile: BandProfileName | null;
  /** Null: the band's hourly minimum in CC at `ccUsd` (rounded up), or 0 without a peg. */
  minBidCcPerSliceHour: string | null;
};

/**
 * The node row for a registration, or the first problem: VALIDATION_FAILED (hardware, slice count;
 * the field named) or PRICE_OUTSIDE_BAND (naming the band). `ccUsd` is USD per CC, or null.
 */
export function planNode(
  input: NodeRegistration,
  parameters: MarketParameters,
  ccUsd: string | null,
  nowMs: number,
): Result<NodeRecord> {
  const profile = input.bandProfile ?? defaultBandProfile(input.hardware, input.certified);
  const sliced = sliceNode(input.hardware, input.sliceCount, profile, parameters);
  if (!sliced.ok) {
    const field = sliced.field;
    if (field === undefined || field === "sliceCount" || field === "bandProfile") return sliced;
    return { ...sliced, field: `hardware.${field}` };
  }
  const { slice, band } = sliced.value;
  const prices = checkListedPrices(band, input.pricePerSliceMonth, input.pricePerSliceHour);
  if (!prices.ok) return prices;
  const minBid =
    input.minBidCcPerSliceHour ?? ccFloorPrice(band.minPerSliceHour, band.currency, ccUsd) ?? "0";
  return ok({
    id: input.id,
    farmerId: input.farmerId,
    payoutAccountId: input.payoutAccountId,
    name: input.name,
    catalogueId: input.catalogueId,
    region: input.region,
    certified: input.certified,
    hardware: input.hardware,
    hardwareCostUsd: input.hardwareCostUsd,
    sliceCount: input.sliceCount,
    bandProfile: profile,
    slice,
    band,
    pricePerSliceMonth: prices.value.month,
    pricePerSliceHour: prices.value.hour,
    minBidCcPerSliceHour: minBid,
    autoAcceptAboveCcPerSliceHour: input.autoAcceptAboveCcPerSliceHour,
    state: input.state,
    freeSlices: input.sliceCount,
    reliabilityBp: 0,
    lastHeartbeatAtMs: null,
    autoOfflineAtMs: null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  });
}

/** The read that finds a registration's payout account: the one asked for, or the farmer's first. */
export function payoutAccountStatement(farmerId: string, requested: string | null): InStatement {
  return requested === null ? ownerAccountStatement(farmerId, "CC", "farmer") : accountStatement(requested);
}

/**
 * The payout account from `payoutAccountStatement`'s answer: the one asked for (the farmer's own
 * CC account of kind farmer), or the farmer's first, or a new one — then with the statement that
 * creates it, to write with the node.
 */
export function payoutAccountFrom(
  result: ResultSet | undefined,
  farmerId: string,
  requested: string | null,
  nowMs: number,
): Result<{ id: string; create: InStatement[] }> {
  const account = accountFrom(result);
  if (requested !== null) {
    if (!account || account.ownerId !== farmerId || account.asset !== "CC" || account.kind !== "farmer") {
      return fail(
        "VALIDATION_FAILED",
        "payoutAccountId must be the farmer's own CC account of kind farmer",
        "payoutAccountId",
      );
    }
    return ok({ id: account.id, create: [] });
  }
  if (account) return ok({ id: account.id, create: [] });
  const created = createAccountStatement(
    { ownerId: farmerId, asset: "CC", kind: "farmer", name: "farmer revenue" },
    nowMs,
  );
  return ok({ id: created.id, create: [created.statement] });
}
