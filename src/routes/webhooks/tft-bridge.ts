import { createRoute } from "@hono/zod-openapi";
import { bridgeSignatureHeader, receiveBridgeWebhook } from "../../credits/bridge";
import { webhookSecrets } from "../../credits/config";
import { now } from "../../kit/clock";
import { orThrow } from "../../kit/http/errors";
import { jsonResponse, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { webhookReceiptSchema } from "./schemas";

const route = createRoute({
  method: "post",
  path: "/v1/webhooks/tft-bridge",
  tags: ["webhooks"],
  summary:
    "TFT bridge events: deposits lock TFT and mint TFP 1:1; withdrawal outcomes settle the outbox (signed, no key)",
  description:
    'Header `X-Bridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed with BRIDGE_WEBHOOK_SECRET or, during a rotation, BRIDGE_WEBHOOK_SECRET_PREVIOUS; 300 s tolerance. Body `{ id, type, created, data }` with type deposit.confirmed `{ depositId, accountId, amount, txHash }`, withdrawal.paid `{ withdrawalId, amount, txHash }` or withdrawal.failed `{ withdrawalId, reason }`. Each event applies exactly once.',
  responses: {
    200: jsonResponse(webhookReceiptSchema, "Handled now, or before (duplicate)"),
    ...problemResponses(400, 404, 409, 413, 422, 503),
  },
});

export function register(app: App) {
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
