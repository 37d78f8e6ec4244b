/**
 * The reads of product events (`GET /v1/events`, the stream): one statement each, in `seq`
 * order, so a reader resumes exactly after the last event it saw.
 */
import type { InStatement, ResultSet, Row } from "@libsql/client";
import type { EventType } from "../kit/db/events";

/** Most events one page (or one stream poll) returns. */
export const eventsPageSizeMax = 200;

export type StoredEvent = {
  readonly seq: number;
  readonly id: string;
  readonly ownerId: string;
  readonly type: EventType;
  readonly subjectId: string;
  readonly atMs: number;
  readonly data: Record<string, unknown>;
};

export function eventFromRow(row: Row): StoredEvent {
  return {
    seq: Number(row.seq),
    id: String(row.id),
    ownerId: String(row.owner_id),
    type: String(row.type) as EventType,
    subjectId: String(row.subject_id),
    atMs: Number(row.at),
    data: JSON.parse(String(row.data)) as Record<string, unknown>,
  };
}

/** An event as the API and webhooks show it. */
export function eventJson(event: StoredEvent) {
  return {
    id: event.id,
    seq: String(event.seq),
    type: event.type,
    at: new Date(event.atMs).toISOString(),
    ownerId: event.ownerId,
    subjectId: event.subjectId,
    data: event.data,
  };
}

export type EventsFilter = {
  /** null: every owner's (admins only). */
  readonly ownerId: string | null;
  readonly types: readonly EventType[] | null;
  readonly afterSeq: number;
  readonly limit: number;
};

/**
 * The events matching `filter` after `afterSeq`, oldest first: the statement, and how to read
 * its answer (`limit + 1` rows tell whether more follow).
 */
export function eventsQuery(filter: EventsFilter): {
  statement: InStatement;
  read: (result: ResultSet) => { events: StoredEvent[]; more: boolean };
} {
  const conditions = ["seq > ?"];
  const args: (string | number)[] = [filter.afterSeq];
  if (filter.ownerId !== null) {
    conditions.push("owner_id = ?");
    args.push(filter.ownerId);
  }
  if (filter.types !== null) {
    conditions.push("type IN (SELECT value FROM json_each(?))");
    args.push(JSON.stringify(filter.types));
  }
  args.push(filter.limit + 1);
  return {
    statement: {
      sql: `SELECT seq, id, owner_id, type, subject_id, data, at FROM events WHERE ${conditions.join(" AND ")} ORDER BY seq LIMIT ?`,
      args,
    },
    read: (result) => {
      const events = result.rows.slice(0, filter.limit).map(eventFromRow);
      return { events, more: result.rows.length > filter.limit };
    },
  };
}
