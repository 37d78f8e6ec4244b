import { createRoute, z } from "@hono/zod-openapi";
import { bridgeSignatureHeader, receiveBridgeWebhook } from "../../credits/bridge";
import { webhookSecrets } from "../../credits/config";
import { now } from "../../kit/clock";
import { orThrow } from "../../kit/http/errors";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { bridgeEventSchema, webhookBody, webhookReceiptSchema } from "./schemas";

const route = createRoute({
  method: "post",
  path: "/v1/webhooks/tft-bridge",
  operationId: "receiveTftBridgeEvent",
  security: [],
  tags: ["webhooks"],
  summary:
    "TFT bridge events: deposits lock TFT and mint TFP 1:1; withdrawal outcomes settle the outbox (signed, no key)",
  description:
    'Authenticated by the bridge\'s signature, not an API key. Header `X-Bridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed with BRIDGE_WEBHOOK_SECRET or, during a rotation, BRIDGE_WEBHOOK_SECRET_PREVIOUS; 300 s tolerance. Body `{ id, type, created, data }` with type deposit.confirmed `{ depositId, accountId, amount, txHash }`, withdrawal.paid `{ withdrawalId, amount, txHash }` or withdrawal.failed `{ withdrawalId, reason }`. Each event applies exactly once.',
  request: {
    query: noQuerySchema,
    headers: z.object({
      [bridgeSignatureHeader]: z.string().optional().openapi({
        description:
          'HMAC-SHA256 of "<t>.<raw body>" keyed with the shared secret: `t=<unix seconds>,v1=<hex>` (several v1 entries allowed). Required: a delivery without a valid one is refused with 400.',
        example: "t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
      }),
    }),
    body: webhookBody("BridgeEvent", "The event, exactly as the bridge signed it."),
  },
  responses: {
    200: jsonResponse(webhookReceiptSchema, "Handled now, or before (duplicate)"),
    ...problemResponses(400, 404, 409, 413, 422, 503),
  },
});

export function register(app: App) {
  app.openAPIRegistry.register("BridgeEvent", bridgeEventSchema);
  app.openapi(route, async (c) => {
    const rawBody = await c.req.text();
    const outcome = orThrow(
      await receiveBridgeWebhook(
        c.get("db"),
        { rawBody, signature: c.req.header(bridgeSignatureHeader) },
        webhookSecrets(c.env.BRIDGE_WEBHOOK_SECRET, c.env.BRIDGE_WEBHOOK_SECRET_PREVIOUS),
        now(),
      ),
    );
    return c.json({ received: true as const, ...outcome }, 200);
  });
}
