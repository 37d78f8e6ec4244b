/**
 * Registering a node: its slicing (§11.3), band (§12.2) and the farmer's prices checked against it
 * (§15), and the farmer's CC payout account (kind `farmer`: CC there is earned revenue, which
 * CC → TFP conversions rely on). Used by `POST /v1/nodes` and the demo seed.
 */
import type { Client } from "@libsql/client";
import { fail, ok, type Result } from "../../kit/result";
import { createAccount, findOwnerAccount, getAccount } from "../../ledger/accounts";
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

/**
 * The farmer's CC payout account: `requested` if given (it must be the farmer's own CC account of
 * kind `farmer`), else their first such account, created when they have none.
 */
export async function payoutAccountFor(
  client: Client,
  farmerId: string,
  requested: string | null,
): Promise<Result<string>> {
  if (requested !== null) {
    const account = await getAccount(client, requested);
    if (!account || account.ownerId !== farmerId || account.asset !== "CC" || account.kind !== "farmer") {
      return fail(
        "VALIDATION_FAILED",
        "payoutAccountId must be the farmer's own CC account of kind farmer",
        "payoutAccountId",
      );
    }
    return ok(account.id);
  }
  const found = await findOwnerAccount(client, farmerId, "CC", "farmer");
  if (found) return ok(found.id);
  const created = await createAccount(client, {
    ownerId: farmerId,
    asset: "CC",
    kind: "farmer",
    name: "farmer revenue",
  });
  return ok(created.id);
}
