// Proves the retention step: events, settled deliveries and their attempts older than 90 days are removed (a pending delivery and its event stay until settled), newer ones are kept.
import { describe, expect, it } from "vitest";
import { eventsRetentionMs, pruneEvents } from "../../../src/events/deliveries";
import { now } from "../../../src/kit/clock";
import { eventStatements } from "../../../src/kit/db/events";
import { randomBase62 } from "../../../src/kit/ids";
import { database, seedKey } from "../../support/harness";
import { endpointAtReceiver } from "./support";

async function writeEvent(ownerId: string, atMs: number): Promise<string> {
  const sourceId = `prune_${randomBase62(12)}`;
  await database().batch(
    eventStatements(
      { sourceId, type: "payment.minted", owner: { ownerId }, subjectId: sourceId, atMs, data: {} },
      atMs,
    ),
    "write",
  );
  return sourceId;
}

async function counts(ownerId: string) {
  const [events, deliveries] = await database().batch(
    [
      { sql: "SELECT count(*) AS count FROM events WHERE owner_id = ?", args: [ownerId] },
      {
        sql: "SELECT count(*) AS count FROM webhook_deliveries WHERE event_id IN (SELECT id FROM events WHERE owner_id = ?) OR endpoint_id IN (SELECT id FROM webhook_endpoints WHERE owner_id = ?)",
        args: [ownerId, ownerId],
      },
    ],
    "read",
  );
  return { events: Number(events!.rows[0]!.count), deliveries: Number(deliveries!.rows[0]!.count) };
}

describe("event retention", () => {
  it("removes what is older than 90 days and settled, keeps the rest", async () => {
    const owner = await seedKey("user");
    const endpoint = await endpointAtReceiver(owner, ["payment.minted"]);
    const db = database();
    // The endpoint existed long ago, so old events got deliveries.
    await db.execute({
      sql: "UPDATE webhook_endpoints SET created_at = 0 WHERE id = ?",
      args: [endpoint.id],
    });
    const oldMs = now() - eventsRetentionMs - 86_400_000;
    await writeEvent(owner.ownerId, oldMs);
    await writeEvent(owner.ownerId, oldMs);
    await writeEvent(owner.ownerId, now());
    expect(await counts(owner.ownerId)).toEqual({ events: 3, deliveries: 3 });
    // One old delivery settled long ago, the other still pending.
    await db.execute({
      sql: `UPDATE webhook_deliveries SET status = 'delivered', updated_at = ? WHERE id =
              (SELECT id FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY event_seq LIMIT 1)`,
      args: [oldMs, endpoint.id],
    });
    await pruneEvents(db, now());
    expect(await counts(owner.ownerId)).toEqual({ events: 2, deliveries: 2 });
    await pruneEvents(db, now());
    expect(await counts(owner.ownerId)).toEqual({ events: 2, deliveries: 2 });
    // Leave nothing pending for other files' sweeps.
    await db.execute({ sql: "DELETE FROM webhook_deliveries WHERE endpoint_id = ?", args: [endpoint.id] });
  });
});
