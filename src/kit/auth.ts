/**
 * API keys: `tfm_<prefix>_<secret>` bearer tokens. Only a SHA-256 hash is stored (keys carry
 * ~190 random bits, so a fast hash is enough); the short public prefix finds the row. Keys
 * can expire, be revoked, and be rotated (the old key keeps working for a grace period).
 *
 * Verified keys are cached in the isolate (`keyCache`: by the key's hash, unknown keys too, for
 * `apiKeyCacheTtlMs`), so a request with a known key costs no database round trip. A revocation
 * or rotation made in this isolate takes effect here at once; in other isolates within the TTL,
 * which bounds how long a revoked key can keep working anywhere. Expiry and a rotation's end of
 * grace are checked against the clock at every use, cached or not.
 */
import type { Client, InStatement, ResultSet, Row } from "@libsql/client";
import { TtlCache } from "./cache";
import { dayMs, now } from "./clock";
import { afterCursor, pageOf, type TimeCursor } from "./db/cursor";
import { decodeRow } from "./db/rows";
import type { Role } from "./db/schema";
import * as tables from "./db/schema";
import { invariant } from "./errors";
import { newId, randomBase62, sha256Hex } from "./ids";

/**
 * Who a request's key speaks for. `nodeId` is the node a `node` key is bound to (null for every
 * other role): such a key may act only on that node, as its agent.
 */
export type Principal = { keyId: string; ownerId: string; role: Role; nodeId: string | null };

export type ApiKeyRecord = {
  id: string;
  prefix: string;
  ownerId: string;
  role: Role;
  name: string | null;
  createdAtMs: number;
  expiresAtMs: number | null;
  revokedAtMs: number | null;
  rotatedFromId: string | null;
  /** The node a `node` key is bound to; null for every other role. */
  nodeId: string | null;
};

/** Longest grace period during which a rotated key still works: 7 days. */
export const rotationGraceMsMax = 7 * dayMs;

/** How long a verified (or unknown) key is trusted without asking the database: 30 s. */
export const apiKeyCacheTtlMs = 30_000;
/** Most keys one isolate remembers (the least recently used dropped first). */
export const apiKeyCacheCapacity = 10_000;

/** What a key's hash maps to: its record, or null for a key the database does not know. */
const keyCache = new TtlCache<string, ApiKeyRecord | null>(apiKeyCacheCapacity, apiKeyCacheTtlMs);

const keyPattern = /^tfm_([0-9A-Za-z]{12})_([0-9A-Za-z]{32})$/;

function keyFromRow(row: Row): ApiKeyRecord {
  const { hash: _hash, ...key } = decodeRow(tables.apiKeys, row);
  return key;
}

/** Creates a key; the plaintext is returned once and never stored. */
export async function createApiKey(
  client: Client,
  input: {
    ownerId: string;
    role: Role;
    name?: string | null;
    expiresAtMs?: number | null;
    rotatedFromId?: string | null;
    /** Required for (and only for) role `node`: the node the key is bound to. */
    nodeId?: string | null;
    plaintext?: string;
  },
  nowMs = now(),
): Promise<{ record: ApiKeyRecord; plaintext: string }> {
  const { statement, record, plaintext } = await newApiKey(input, nowMs);
  await client.execute(statement);
  return { record, plaintext };
}

/**
 * A new key's INSERT, the record it writes and its plaintext (returned once, never stored), to send
 * alone (`createApiKey`) or in a batch with other statements. A `node` key is bound to a node and
 * no other key is: asserted here, so no code path can mint an unbound node key.
 */
export async function newApiKey(
  input: Parameters<typeof createApiKey>[1],
  nowMs: number,
): Promise<{ statement: InStatement; record: ApiKeyRecord; plaintext: string }> {
  const nodeId = input.nodeId ?? null;
  invariant(
    (input.role === "node") === (nodeId !== null),
    "a key is bound to a node exactly when its role is node",
  );
  const plaintext = input.plaintext ?? `tfm_${randomBase62(12)}_${randomBase62(32)}`;
  const match = keyPattern.exec(plaintext);
  if (!match) throw new Error("API key plaintext has the wrong shape");
  const record: ApiKeyRecord = {
    id: newId("key"),
    prefix: match[1]!,
    ownerId: input.ownerId,
    role: input.role,
    name: input.name ?? null,
    createdAtMs: nowMs,
    expiresAtMs: input.expiresAtMs ?? null,
    revokedAtMs: null,
    rotatedFromId: input.rotatedFromId ?? null,
    nodeId,
  };
  const statement: InStatement = {
    sql: "INSERT INTO api_keys (id, prefix, hash, owner_id, role, name, created_at, expires_at, rotated_from_id, node_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    args: [
      record.id,
      record.prefix,
      await sha256Hex(plaintext),
      record.ownerId,
      record.role,
      record.name,
      nowMs,
      record.expiresAtMs,
      record.rotatedFromId,
      nodeId,
    ],
  };
  return { statement, record, plaintext };
}

export async function getApiKey(client: Client, id: string): Promise<ApiKeyRecord | null> {
  const result = await client.execute({ sql: "SELECT * FROM api_keys WHERE id = ?", args: [id] });
  const row = result.rows[0];
  return row ? keyFromRow(row) : null;
}

/** The read of one key (never its hash), to send in a batch with other reads. */
export function apiKeyStatement(id: string): InStatement {
  return { sql: "SELECT * FROM api_keys WHERE id = ?", args: [id] };
}

/** The key `apiKeyStatement` read, or null. */
export function apiKeyFrom(result: ResultSet | undefined): ApiKeyRecord | null {
  const row = result?.rows[0];
  return row ? keyFromRow(row) : null;
}

/** A key with its rotation: the key that replaced it and when (null while it was never rotated). */
export type ApiKeyListed = ApiKeyRecord & { rotatedToId: string | null; rotatedAtMs: number | null };

/** Most keys on one page of a key listing. */
export const apiKeysPageSizeMax = 200;

export type ApiKeysPage = { keys: ApiKeyListed[]; nextCursor: TimeCursor | null };

/**
 * One page of keys, newest first (by creation time, then id), after `cursor`: `ownerId`'s, or
 * everyone's with null. A key is rotated at most once (`rotateApiKey`), so its successor, if
 * any, is the one key naming it in `rotated_from_id`. A statement and the reading of its answer.
 */
export function apiKeysQuery(
  ownerId: string | null,
  options: { limit: number; cursor: TimeCursor | null },
): { statement: InStatement; read: (result: ResultSet) => ApiKeysPage } {
  const limit = Math.min(Math.max(1, options.limit), apiKeysPageSizeMax);
  const after = afterCursor("created_at", "id", options.cursor, "desc");
  const owner = ownerId === null ? { sql: "1 = 1", args: [] } : { sql: "owner_id = ?", args: [ownerId] };
  const statement = {
    sql: `SELECT k.*, s.id AS rotated_to_id, s.created_at AS rotated_at
          FROM (SELECT * FROM api_keys WHERE ${owner.sql} AND ${after.sql}
                ORDER BY created_at DESC, id DESC LIMIT ?) k
          LEFT JOIN api_keys s ON s.rotated_from_id = k.id
          ORDER BY k.created_at DESC, k.id DESC`,
    args: [...owner.args, ...after.args, limit + 1],
  };
  const read = (result: ResultSet): ApiKeysPage => {
    const keys = result.rows.map((row) => ({
      ...keyFromRow(row),
      rotatedToId: row.rotated_to_id === null ? null : String(row.rotated_to_id),
      rotatedAtMs: row.rotated_at === null ? null : Number(row.rotated_at),
    }));
    const page = pageOf(keys, limit, (key) => ({ atMs: key.createdAtMs, id: key.id }));
    return { keys: page.items, nextCursor: page.nextCursor };
  };
  return { statement, read };
}

function constantTimeEqual(left: string, right: string): boolean {
  if (left.length !== right.length) return false;
  let difference = 0;
  for (let index = 0; index < left.length; index++)
    difference |= left.charCodeAt(index) ^ right.charCodeAt(index);
  return difference === 0;
}

/** The principal of a presented key, or null if it is malformed, unknown, revoked or expired. */
export async function authenticate(
  client: Client,
  presented: string,
  nowMs = now(),
): Promise<Principal | null> {
  const match = keyPattern.exec(presented);
  if (!match) return null;
  const hash = await sha256Hex(presented);
  let record = keyCache.get(hash, nowMs)?.value;
  if (record === undefined) {
    const result = await client.execute({
      sql: "SELECT * FROM api_keys WHERE prefix = ?",
      args: [match[1]!],
    });
    const row = result.rows[0];
    record = row && constantTimeEqual(String(row.hash), hash) ? keyFromRow(row) : null;
    keyCache.set(hash, record, nowMs);
  }
  if (record === null) return null;
  if (record.revokedAtMs !== null && record.revokedAtMs <= nowMs) return null;
  if (record.expiresAtMs !== null && record.expiresAtMs <= nowMs) return null;
  return { keyId: record.id, ownerId: record.ownerId, role: record.role, nodeId: record.nodeId };
}

/** Drops this isolate's cached verification of key `id` (after it was revoked or rotated). */
function forgetKey(id: string): void {
  keyCache.deleteWhere((record) => record?.id === id);
}

/** Revokes a key at once. Returns the updated record, or null if there is no such key. */
export async function revokeApiKey(client: Client, id: string, nowMs = now()): Promise<ApiKeyRecord | null> {
  await client.execute({
    sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
    args: [nowMs, id],
  });
  forgetKey(id);
  return getApiKey(client, id);
}

/** Why a rotation did not happen: no such key, or it was already rotated or revoked. */
export type RotationRefusal = "not_found" | "not_active";

/**
 * Issues a new key with the same owner, role and node; the old key stops working after `graceMs`
 * (0 = at once). A key is rotated at most once: the database decides, in one atomic batch, by
 * inserting the new key only from an old key that is still unretired (`revoked_at IS NULL`) and
 * then retiring the old key only if that new key exists. Of concurrent rotations of one key,
 * the first to write wins; the others insert nothing and get `not_active`, so a key never forks
 * into several live successors. (Rotate the successor to rotate again.)
 */
export async function rotateApiKey(
  client: Client,
  id: string,
  graceMs: number,
  nowMs = now(),
): Promise<
  | { ok: true; record: ApiKeyRecord; plaintext: string; previous: ApiKeyRecord }
  | { ok: false; reason: RotationRefusal }
> {
  const plaintext = `tfm_${randomBase62(12)}_${randomBase62(32)}`;
  const match = keyPattern.exec(plaintext);
  if (!match) throw new Error("API key plaintext has the wrong shape");
  const newKeyId = newId("key");
  const retireAtMs = nowMs + Math.min(Math.max(0, graceMs), rotationGraceMsMax);
  // The new key, the old one's retirement and both as they now stand: one round trip.
  const [inserted, , newRead, previousRead] = await client.batch(
    [
      {
        sql: `INSERT INTO api_keys (id, prefix, hash, owner_id, role, name, created_at, expires_at, rotated_from_id, node_id)
              SELECT ?, ?, ?, owner_id, role, name, ?, expires_at, id, node_id FROM api_keys WHERE id = ? AND revoked_at IS NULL`,
        args: [newKeyId, match[1]!, await sha256Hex(plaintext), nowMs, id],
      },
      {
        sql: `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL
              AND EXISTS (SELECT 1 FROM api_keys WHERE id = ? AND rotated_from_id = ?)`,
        args: [retireAtMs, id, newKeyId, id],
      },
      apiKeyStatement(newKeyId),
      apiKeyStatement(id),
    ],
    "write",
  );
  const previousRow = previousRead?.rows[0];
  if (inserted?.rowsAffected !== 1) return { ok: false, reason: previousRow ? "not_active" : "not_found" };
  forgetKey(id);
  const newRow = newRead?.rows[0];
  if (!newRow || !previousRow) throw new Error("API key missing from its own rotation");
  const [record, previous] = [keyFromRow(newRow), keyFromRow(previousRow)];
  return { ok: true, record, plaintext, previous };
}
