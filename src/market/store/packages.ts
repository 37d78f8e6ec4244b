/**
 * ThreeFold bid packages (§16): standing bids configured by admins — a minimum spec per slice, a
 * CC price per slice-month and the number of slices ThreeFold commits to. An eligible farmer
 * commits slices of a node; they are reserved as a `package` lease (never pre-empted) at the
 * package's price, paid from the ThreeFold treasury (acc_treasury_cc) and settled 80 / 10 / 10
 * like any lease. The spec's Standard Compute and Memory-Heavy packages
 * (src/market/core/requirements.ts) are created on first use and may then be edited.
 *
 * The package price is not checked against the farmer's band: it is ThreeFold's bid, in CC (1.2 CC
 * per slice-month would sit below a USD memory band's minimum, §20 Q7). The CC per slice-hour a
 * package lease pays is exactly the monthly price ÷ hoursPerMonth (a fraction, `1.2/720`), so a
 * month of a package lease charges the monthly price to the minor unit.
 */
import type { Client, InStatement, ResultSet, Row } from "@libsql/client";
import { decodeRow } from "../../kit/db/rows";
import * as tables from "../../kit/db/schema";
import { fail, ok, type Result } from "../../kit/result";
import { Dec } from "../../ledger/core/money";
import { exactPriceText, floorPriceText, parseExactPrice } from "../core/bidbook/rate";
import type { MarketParameters } from "../core/parameters";
import { type BidPackage, requirementsFromStored, threefoldBidPackages } from "../core/requirements";

/** Slices are committed for a month by default. */
export const packageLeaseHoursDefault = 720;

export type PackageRecord = BidPackage & {
  leaseHours: number;
  active: boolean;
  /** Slices committed by farmers in active commitments. */
  slicesFilled: number;
  createdAtMs: number;
  updatedAtMs: number;
};

/** Reads a `bid_packages` row with its computed `slices_filled` (see `packageSelect`). */
function packageFromRow(row: Row): PackageRecord {
  const { requirements, active, ...pkg } = decodeRow(tables.bidPackages, row);
  return {
    ...pkg,
    requirements: requirementsFromStored(requirements),
    active: active === 1,
    slicesFilled: Number(row.slices_filled ?? 0),
  };
}

/**
 * Whether this isolate already made sure the spec's packages exist: they are created once per
 * database and never deleted (an admin deactivates a package instead), so once is enough.
 */
let defaultsEnsured = false;

/** Creates the spec's packages if they were never created (an admin's later edits are kept). */
export async function ensureDefaultPackages(client: Client, nowMs: number): Promise<void> {
  if (defaultsEnsured) return;
  await client.batch(defaultPackagesStatements(nowMs), "write");
  defaultsEnsured = true;
}

function defaultPackagesStatements(nowMs: number): InStatement[] {
  return Object.values(threefoldBidPackages).map((pkg) => ({
    sql: `INSERT OR IGNORE INTO bid_packages (id, name, requirements, price_cc_per_slice_month, slices_committed, lease_hours, active, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`,
    args: [
      pkg.id,
      pkg.name,
      JSON.stringify(pkg.requirements),
      pkg.priceCcPerSliceMonth,
      pkg.slicesCommitted,
      packageLeaseHoursDefault,
      nowMs,
      nowMs,
    ],
  }));
}

const packageSelect = `SELECT p.*, (SELECT COALESCE(SUM(c.slices), 0) FROM package_commitments c
  WHERE c.package_id = p.id AND c.status = 'active') AS slices_filled FROM bid_packages p`;

const listStatement = `${packageSelect} ORDER BY p.created_at, p.id LIMIT 200`;

/** Every package (at most 200), the spec's created first if this isolate has not yet: one round trip. */
export async function listPackages(client: Client, nowMs: number): Promise<PackageRecord[]> {
  if (defaultsEnsured) return (await client.execute(listStatement)).rows.map(packageFromRow);
  const results = await client.batch([...defaultPackagesStatements(nowMs), listStatement], "write");
  defaultsEnsured = true;
  return results.at(-1)!.rows.map(packageFromRow);
}

export async function getPackage(client: Client, id: string): Promise<PackageRecord | null> {
  return packageFrom(await client.execute(packageStatement(id)));
}

/** The read of `getPackage`, to batch with others. */
export function packageStatement(id: string): InStatement {
  return { sql: `${packageSelect} WHERE p.id = ?`, args: [id] };
}

/** The package `packageStatement` read, or null. */
export function packageFrom(result: ResultSet | undefined): PackageRecord | null {
  const row = result?.rows[0];
  return row ? packageFromRow(row) : null;
}

/**
 * Creates or replaces a package's configuration and reads it back, in one round trip (with the
 * spec's packages created first if this isolate has not yet).
 */
export async function savePackage(
  client: Client,
  pkg: Omit<PackageRecord, "slicesFilled" | "createdAtMs" | "updatedAtMs">,
  nowMs: number,
): Promise<PackageRecord> {
  const defaults = defaultsEnsured ? [] : defaultPackagesStatements(nowMs);
  const results = await client.batch(
    [
      ...defaults,
      {
        sql: `INSERT INTO bid_packages (id, name, requirements, price_cc_per_slice_month, slices_committed, lease_hours, active, created_at, updated_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
              ON CONFLICT (id) DO UPDATE SET name = excluded.name, requirements = excluded.requirements,
                price_cc_per_slice_month = excluded.price_cc_per_slice_month, slices_committed = excluded.slices_committed,
                lease_hours = excluded.lease_hours, active = excluded.active, updated_at = excluded.updated_at`,
        args: [
          pkg.id,
          pkg.name,
          JSON.stringify(pkg.requirements),
          pkg.priceCcPerSliceMonth,
          pkg.slicesCommitted,
          pkg.leaseHours,
          pkg.active ? 1 : 0,
          nowMs,
          nowMs,
        ],
      },
      { sql: `${packageSelect} WHERE p.id = ?`, args: [pkg.id] },
    ],
    "write",
  );
  defaultsEnsured = true;
  const row = results.at(-1)?.rows[0];
  if (!row) throw new Error("the package is missing from its own write");
  return packageFromRow(row);
}

/**
 * The CC per slice-hour a package lease pays: exactly the monthly price over hoursPerMonth
 * (`exactPriceCcPerSliceHour`, e.g. `1.2/720`, so a month charges 1.2 CC to the minor unit), and
 * that rounded down to 12 decimals for the book's ordering; VALIDATION_FAILED when it rounds to 0.
 */
export function packagePriceCcPerSliceHour(
  pkg: BidPackage,
  parameters: MarketParameters,
): Result<{ priceCcPerSliceHour: string; exactPriceCcPerSliceHour: string }> {
  const exactText = exactPriceText(
    new Dec(pkg.priceCcPerSliceMonth).toFixed(),
    String(parameters.hoursPerMonth),
  );
  const exact = exactText === undefined ? undefined : parseExactPrice(exactText);
  if (exactText === undefined || exact === undefined) {
    return fail("VALIDATION_FAILED", "The package price is not a plain decimal", "priceCcPerSliceMonth");
  }
  const price = floorPriceText(exact);
  if (!new Dec(price).gt(0)) return fail("VALIDATION_FAILED", "The package price rounds to zero per hour");
  return ok({ priceCcPerSliceHour: price, exactPriceCcPerSliceHour: exactText });
}
