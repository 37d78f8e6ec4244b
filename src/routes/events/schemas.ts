import { z } from "@hono/zod-openapi";
import { eventTypes } from "../../kit/db/events";

export const eventTypeSchema = z.enum(eventTypes).openapi({ example: "lease.started" });

export const eventSchema = z
  .object({
    id: z.string().openapi({ example: "evt_5f1c0e9a3b7d4c2e8f6a1b0c9d8e7f6a" }),
    seq: z
      .string()
      .openapi({ description: "Position in the event log: the cursor after this event.", example: "1042" }),
    type: eventTypeSchema,
    at: z
      .string()
      .openapi({ description: "When it took effect (ISO 8601).", example: "2026-12-05T07:00:00.000Z" }),
    ownerId: z.string().openapi({ example: "usr_alice" }),
    subjectId: z.string().openapi({
      description: "What it is about: a lease, payment, withdrawal, request or round id.",
      example: "lse_3f9a0c7Qm2Xr9LtK4pZsWd",
    }),
    data: z.record(z.string(), z.unknown()).openapi({
      description: "Structured fields of the type (amounts as decimal strings, times ISO 8601).",
    }),
  })
  .openapi("Event");

/** The `after` cursor: an event's `seq` (or a page's `nextCursor`). */
export const eventCursorSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,15})$/, "must be an event seq (a page's nextCursor)")
  .openapi({ description: "Only events after this one (its `seq`); omit for the oldest.", example: "1042" });
