/** What a webhook delivery gets back when it was handled (or had been before). */
import { z } from "@hono/zod-openapi";

export const webhookReceiptSchema = z
  .object({
    received: z.literal(true),
    eventId: z.string(),
    type: z.string(),
    outcome: z
      .string()
      .openapi({ example: "minted", description: "What the event did (or did the first time)." }),
    detail: z.string().nullable(),
    duplicate: z
      .boolean()
      .openapi({ description: "True when this event had already been handled: nothing changed now." }),
  })
  .openapi("WebhookReceipt");
