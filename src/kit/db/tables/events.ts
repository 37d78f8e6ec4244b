/**
 * The tables of product events and outbound webhooks (migration 0009): one row per event an owner
 * can read (`GET /v1/events`), the endpoints owners register, one delivery per (endpoint, event)
 * — the outbox the queue consumer works through — and the log of every delivery attempt.
 */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { int } from "../columns";

/**
 * Product events. `seq` orders them (the cursor of `GET /v1/events` and the stream); `id` is
 * derived from the effect the event reports, so writing it twice writes it once.
 */
export const events = sqliteTable(
  "events",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    ownerId: text("owner_id").notNull(),
    type: text("type").notNull(),
    /** What the event is about (a lease, a bid, a payment…): deliveries keep its order per subject. */
    subjectId: text("subject_id").notNull(),
    /** Structured fields, a JSON object (amounts as decimal strings). */
    data: text("data").notNull(),
    atMs: int("at").notNull(),
    createdAtMs: int("created_at").notNull(),
  },
  (table) => [
    uniqueIndex("events_id").on(table.id),
    index("events_owner").on(table.ownerId, table.seq),
    index("events_type").on(table.type, table.seq),
  ],
);

export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id").notNull(),
    url: text("url").notNull(),
    /** A JSON array of event types. */
    eventTypes: text("event_types").notNull(),
    secret: text("secret").notNull(),
    /** The secret before the last rotation, still signing until `previous_secret_until`. */
    previousSecret: text("previous_secret"),
    previousSecretUntilMs: int("previous_secret_until"),
    disabledAtMs: int("disabled_at"),
    createdAtMs: int("created_at").notNull(),
    updatedAtMs: int("updated_at").notNull(),
  },
  (table) => [index("webhook_endpoints_owner").on(table.ownerId, table.createdAtMs)],
);

export const webhookDeliveryStatuses = ["pending", "delivered", "failed"] as const;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatuses)[number];

/** One event to one endpoint: written in the event's own batch, so no event misses its delivery. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    endpointId: text("endpoint_id").notNull(),
    eventSeq: int("event_seq").notNull(),
    eventId: text("event_id").notNull(),
    subjectId: text("subject_id").notNull(),
    status: text("status", { enum: webhookDeliveryStatuses }).notNull(),
    attempts: int("attempts").notNull(),
    lastStatusCode: int("last_status_code"),
    lastError: text("last_error"),
    /** When the outbox sweep may (re-)enqueue it: after its backoff. */
    nextAttemptAtMs: int("next_attempt_at").notNull(),
    deliveredAtMs: int("delivered_at"),
    createdAtMs: int("created_at").notNull(),
    updatedAtMs: int("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("webhook_deliveries_event").on(table.endpointId, table.eventId),
    index("webhook_deliveries_endpoint").on(table.endpointId, table.eventSeq),
    index("webhook_deliveries_subject").on(table.endpointId, table.subjectId, table.status, table.eventSeq),
    index("webhook_deliveries_due").on(table.status, table.nextAttemptAtMs),
  ],
);

/** Every attempt of every delivery: the delivery log. */
export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    deliveryId: text("delivery_id").notNull(),
    attempt: int("attempt").notNull(),
    statusCode: int("status_code"),
    error: text("error"),
    durationMs: int("duration_ms").notNull(),
    atMs: int("at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.deliveryId, table.attempt] })],
);
