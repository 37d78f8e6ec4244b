/**
 * A farmer's earnings from the settlements table (one row per settled lease period, written with
 * its transfers): gross charged, the farmer's share, what was burned and ThreeFold's share, over a
 * time range (by period end), in total, per node and per lease.
 */
import type { Client, Row } from "@libsql/client";

export type EarningsFigures = {
  grossMinor: bigint;
  farmerMinor: bigint;
  burnedMinor: bigint;
  threefoldMinor: bigint;
  unpaidMinor: bigint;
  periods: number;
};

/** Most nodes and leases listed in one report (largest gross first). */
export const earningsRowsMax = 200;

const sums = `COALESCE(SUM(charge_minor), 0) AS gross, COALESCE(SUM(farmer_minor), 0) AS farmer,
  COALESCE(SUM(burn_minor), 0) AS burned, COALESCE(SUM(threefold_minor), 0) AS threefold,
  COALESCE(SUM(unpaid_minor), 0) AS unpaid, count(*) AS periods`;

function figuresOf(row: Row | undefined): EarningsFigures {
  const minor = (name: string) => BigInt((row?.[name] as bigint | undefined) ?? 0n);
  return {
    grossMinor: minor("gross"),
    farmerMinor: minor("farmer"),
    burnedMinor: minor("burned"),
    threefoldMinor: minor("threefold"),
    unpaidMinor: minor("unpaid"),
    periods: Number(row?.periods ?? 0),
  };
}

export async function farmerEarnings(
  client: Client,
  farmerId: string,
  fromMs: number,
  toMs: number,
): Promise<{
  total: EarningsFigures;
  nodes: (EarningsFigures & { nodeId: string })[];
  leases: (EarningsFigures & { leaseId: string; nodeId: string })[];
  truncated: boolean;
}> {
  const where = "WHERE farmer_id = ? AND period_end > ? AND period_end <= ?";
  const args = [farmerId, fromMs, toMs];
  const [total, nodes, leases] = await client.batch(
    [
      { sql: `SELECT ${sums} FROM settlements ${where}`, args },
      {
        sql: `SELECT node_id, ${sums} FROM settlements ${where} GROUP BY node_id ORDER BY gross DESC, node_id LIMIT ?`,
        args: [...args, earningsRowsMax + 1],
      },
      {
        sql: `SELECT lease_id, node_id, ${sums} FROM settlements ${where} GROUP BY lease_id ORDER BY gross DESC, lease_id LIMIT ?`,
        args: [...args, earningsRowsMax + 1],
      },
    ],
    "read",
  );
  return {
    total: figuresOf(total?.rows[0]),
    nodes: (nodes?.rows ?? [])
      .slice(0, earningsRowsMax)
      .map((row) => ({ nodeId: String(row.node_id), ...figuresOf(row) })),
    leases: (leases?.rows ?? [])
      .slice(0, earningsRowsMax)
      .map((row) => ({ leaseId: String(row.lease_id), nodeId: String(row.node_id), ...figuresOf(row) })),
    truncated: (nodes?.rows.length ?? 0) > earningsRowsMax || (leases?.rows.length ?? 0) > earningsRowsMax,
  };
}
