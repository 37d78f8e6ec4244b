/**
 * Webhook endpoints: the only reader and writer of `webhook_endpoints` (and of the deliveries an
 * endpoint's removal gives up). Each call is one round trip. An endpoint is found only through its
 * owner (an admin passes null): another owner's endpoint is "not found", never "forbidden", so ids
 * reveal nothing.
 */
import type { Client, InStatement, Row } from "@libsql/client";
import type { EventType } from "../kit/db/events";
import { decodeRow } from "../kit/db/rows";
import { webhookEndpoints } from "../kit/db/schema";
import { newId } from "../kit/ids";
import { fail, ok, type Result } from "../kit/result";

/** Most endpoints one owner may register. */
export const endpointsPerOwnerMax = 10;
/** Longest grace of a rotated secret: 7 days. */
export const secretGraceMsMax = 7 * 24 * 3_600_000;
/** Random bytes of a signing secret (Standard Webhooks: 24 to 64). */
const secretBytes = 32;

export type Endpoint = {
  readonly id: string;
  readonly ownerId: string;
  readonly url: string;
  readonly eventTypes: readonly EventType[];
  readonly secret: string;
  readonly previousSecret: string | null;
  readonly previousSecretUntilMs: number | null;
  readonly disabledAtMs: number | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
};

/** A new Standard Webhooks signing secret: `whsec_` and the base64 of 32 random bytes. */
export function newSigningSecret(): string {
  const bytes = new Uint8Array(secretBytes);
  crypto.getRandomValues(bytes);
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

export function endpointFromRow(row: Row): Endpoint {
  const decoded = decodeRow(webhookEndpoints, row as unknown as Record<string, unknown>);
  return { ...decoded, eventTypes: JSON.parse(decoded.eventTypes) as EventType[] };
}

const columns =
  "id, owner_id, url, event_types, secret, previous_secret, previous_secret_until, disabled_at, created_at, updated_at";

/** The owner condition: the endpoint's owner, or any owner for an admin (`ownerId` null). */
function ownedBy(ownerId: string | null): { sql: string; args: string[] } {
  return ownerId === null ? { sql: "1 = 1", args: [] } : { sql: "owner_id = ?", args: [ownerId] };
}

/** Registers an endpoint within `endpointsPerOwnerMax` (LIMIT_REACHED past it). */
export async function createEndpoint(
  client: Client,
  input: { ownerId: string; url: string; eventTypes: readonly EventType[] },
  nowMs: number,
): Promise<Result<Endpoint>> {
  const result = await client.execute({
    sql: `INSERT INTO webhook_endpoints (${columns})
          SELECT ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?
          WHERE (SELECT count(*) FROM webhook_endpoints WHERE owner_id = ?) < ?
          RETURNING ${columns}`,
    args: [
      newId("whe"),
      input.ownerId,
      input.url,
      JSON.stringify(input.eventTypes),
      newSigningSecret(),
      nowMs,
      nowMs,
      input.ownerId,
      endpointsPerOwnerMax,
    ],
  });
  const row = result.rows[0];
  if (!row) return fail("LIMIT_REACHED", `An owner may register at most ${endpointsPerOwnerMax} endpoints`);
  return ok(endpointFromRow(row));
}

/** The owner's endpoints (an admin: `ownerId` null for everyone's), oldest first. */
export async function listEndpoints(client: Client, ownerId: string, limit: number): Promise<Endpoint[]> {
  const result = await client.execute({
    sql: `SELECT ${columns} FROM webhook_endpoints WHERE owner_id = ? ORDER BY created_at, id LIMIT ?`,
    args: [ownerId, limit],
  });
  return result.rows.map(endpointFromRow);
}

/** The statement that reads one endpoint, if `ownerId` (null: admin) may see it. */
export function endpointStatement(id: string, ownerId: string | null): InStatement {
  const owner = ownedBy(ownerId);
  return {
    sql: `SELECT ${columns} FROM webhook_endpoints WHERE id = ? AND ${owner.sql}`,
    args: [id, ...owner.args],
  };
}

export async function getEndpoint(
  client: Client,
  id: string,
  ownerId: string | null,
): Promise<Endpoint | null> {
  const row = (await client.execute(endpointStatement(id, ownerId))).rows[0];
  return row ? endpointFromRow(row) : null;
}

export type EndpointChanges = {
  readonly url?: string;
  readonly eventTypes?: readonly EventType[];
  readonly disabled?: boolean;
};

/** Changes an endpoint's URL, event types or disabled state; null when not found. */
export async function updateEndpoint(
  client: Client,
  id: string,
  ownerId: string | null,
  changes: EndpointChanges,
  nowMs: number,
): Promise<Endpoint | null> {
  const owner = ownedBy(ownerId);
  const disabledAt =
    changes.disabled === undefined ? "disabled_at" : changes.disabled ? "COALESCE(disabled_at, ?)" : "NULL";
  const result = await client.execute({
    sql: `UPDATE webhook_endpoints SET url = COALESCE(?, url), event_types = COALESCE(?, event_types),
            disabled_at = ${disabledAt}, updated_at = ?
          WHERE id = ? AND ${owner.sql} RETURNING ${columns}`,
    args: [
      changes.url ?? null,
      changes.eventTypes === undefined ? null : JSON.stringify(changes.eventTypes),
      ...(changes.disabled === true ? [nowMs] : []),
      nowMs,
      id,
      ...owner.args,
    ],
  });
  const row = result.rows[0];
  return row ? endpointFromRow(row) : null;
}

/**
 * A new signing secret; the current one keeps signing (deliveries carry both signatures) for
 * `graceMs`. Null when not found.
 */
export async function rotateEndpointSecret(
  client: Client,
  id: string,
  ownerId: string | null,
  graceMs: number,
  nowMs: number,
): Promise<Endpoint | null> {
  const owner = ownedBy(ownerId);
  const result = await client.execute({
    sql: `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = ?, secret = ?, updated_at = ?
          WHERE id = ? AND ${owner.sql} RETURNING ${columns}`,
    args: [nowMs + graceMs, newSigningSecret(), nowMs, id, ...owner.args],
  });
  const row = result.rows[0];
  return row ? endpointFromRow(row) : null;
}

/**
 * Removes an endpoint; its pending deliveries are given up (marked failed, the log kept). Null
 * when not found.
 */
export async function deleteEndpoint(
  client: Client,
  id: string,
  ownerId: string | null,
  nowMs: number,
): Promise<Endpoint | null> {
  const owner = ownedBy(ownerId);
  const [deleted] = await client.batch(
    [
      {
        sql: `DELETE FROM webhook_endpoints WHERE id = ? AND ${owner.sql} RETURNING ${columns}`,
        args: [id, ...owner.args],
      },
      {
        sql: `UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint deleted', updated_at = ?
              WHERE endpoint_id = ? AND status = 'pending' AND NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = ?)`,
        args: [nowMs, id, id],
      },
    ],
    "write",
  );
  const row = deleted?.rows[0];
  return row ? endpointFromRow(row) : null;
}

/** The secrets that sign a delivery at `nowMs`: the current one, and the previous one in its grace. */
export function signingSecrets(endpoint: Endpoint, nowMs: number): string[] {
  const previous =
    endpoint.previousSecret !== null && (endpoint.previousSecretUntilMs ?? 0) > nowMs
      ? [endpoint.previousSecret]
      : [];
  return [endpoint.secret, ...previous];
}
