/**
 * `POST /v1/capacity-requests`: a reverse auction. A user says how many slices, what each must
 * offer, for how long, the highest CC price per slice-hour and the budget for the whole lease;
 * farmers offer until the deadline. Nothing is held yet: the CC is held when an offer is accepted.
 * Users and admins; at most 20 open requests per owner.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { orThrow } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import {
  accountIdSchema,
  amountSchema,
  jsonBody,
  jsonResponse,
  minorOf,
  noQuerySchema,
  problemResponses,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { newId } from "../../kit/ids";
import { hourMs } from "../../market/config";
import { insertRequest } from "../../market/flows/capacity-requests";
import { requirePayerAccount } from "../leases/schemas";
import { ccPricePerHourSchema } from "../nodes/schemas";
import { requestJson, requestSchema, requirementsOf, requirementsSchema } from "./schemas";

const bodySchema = z
  .strictObject({
    slices: z.number().int().min(1).max(1024).openapi({ example: 4 }),
    requirements: requirementsSchema,
    durationHours: z.number().int().min(1).max(8_784).openapi({ example: 720 }),
    maxPriceCcPerSliceHour: ccPricePerHourSchema,
    budget: amountSchema.openapi({ description: "Most CC the whole lease may cost.", example: "500" }),
    deadlineInHours: z.number().int().min(1).max(720).openapi({ description: "Offers are taken this long." }),
    acceptCheapestAtDeadline: z.boolean().default(false),
    accountId: accountIdSchema.optional(),
  })
  .openapi("CapacityRequestInput");

const route = createRoute({
  method: "post",
  path: "/v1/capacity-requests",
  operationId: "createCapacityRequest",
  tags: ["marketplace"],
  summary: "Ask farmers for capacity: a reverse auction (user or admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("user", "admin")] as const,
  request: { query: noQuerySchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(requestSchema, "The open request"),
    ...problemResponses(401, 403, 413, 415, 422, 429),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    const principal = c.get("principal");
    const input = c.req.valid("json");
    const budgetMinor = minorOf("CC", input.budget, "budget");
    const accountId = await requirePayerAccount(db, principal, input.accountId);
    const nowMs = now();
    const request = orThrow(
      await insertRequest(db, {
        id: newId("crq"),
        slices: input.slices,
        requirements: requirementsOf(input.requirements),
        durationHours: input.durationHours,
        maxPriceCcPerSliceHour: input.maxPriceCcPerSliceHour,
        acceptCheapestAtDeadline: input.acceptCheapestAtDeadline,
        ownerId: principal.ownerId,
        accountId,
        budgetMinor,
        deadlineAtMs: nowMs + input.deadlineInHours * hourMs,
        status: "open",
        acceptingOfferId: null,
        leaseId: null,
        createdAtMs: nowMs,
        updatedAtMs: nowMs,
      }),
    );
    return c.json(requestJson(request, []), 201);
  });
}
