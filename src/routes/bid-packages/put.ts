/**
 * `PUT /v1/bid-packages/{id}`: an admin creates or replaces a bid package: its minimum spec per
 * slice, CC price per slice-month, slices committed, lease length, and whether it takes new
 * commitments. Existing commitments keep their leases and prices.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { requireRoles } from "../../kit/http/middleware";
import {
  jsonBody,
  jsonResponse,
  nameCharsMax,
  noQuerySchema,
  problemResponses,
  textField,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { savePackage } from "../../market/store/packages";
import { requirementsOf, requirementsSchema } from "../capacity-requests/schemas";
import { packageIdParamSchema, packageJson, packageSchema } from "./schemas";

const bodySchema = z
  .strictObject({
    name: textField({ maxChars: nameCharsMax }),
    requirements: requirementsSchema,
    priceCcPerSliceMonth: z
      .string()
      .regex(/^(0|[1-9][0-9]{0,8})(\.[0-9]{1,6})?$/, "must be a CC price with at most 6 decimals")
      .refine((text) => Number(text) > 0, "must be above 0")
      .openapi({ example: "1.2" }),
    slicesCommitted: z.number().int().min(0).max(10_000_000),
    leaseHours: z.number().int().min(1).max(8_784).default(720),
    active: z.boolean().default(true),
  })
  .openapi("BidPackageInput");

const route = createRoute({
  method: "put",
  path: "/v1/bid-packages/{id}",
  operationId: "putBidPackage",
  tags: ["marketplace"],
  summary: "Create or replace a bid package (admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin")] as const,
  request: {
    query: noQuerySchema,
    params: z.strictObject({ id: packageIdParamSchema }),
    body: jsonBody(bodySchema),
  },
  responses: {
    200: jsonResponse(packageSchema, "The package"),
    ...problemResponses(401, 403, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const id = c.req.valid("param").id;
    const input = c.req.valid("json");
    const nowMs = now();
    const saved = await savePackage(
      db,
      { ...input, id, requirements: requirementsOf(input.requirements) },
      nowMs,
    );
    return c.json(packageJson(saved), 200);
  });
}
