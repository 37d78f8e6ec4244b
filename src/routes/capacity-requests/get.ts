/**
 * `GET /v1/capacity-requests/{id}`: a request with its offers. Its owner and admins see every
 * offer; a farmer sees an open request and its own offers on it.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Principal } from "../../kit/auth";
import { ApiError } from "../../kit/http/errors";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import {
  type CapacityRequest,
  offersFrom,
  offersStatement,
  requestFrom,
  requestStatement,
} from "../../market/flows/capacity-requests";
import { requestIdParamSchema, requestJson, requestSchema } from "./schemas";

export const requestParamsSchema = z.strictObject({ id: requestIdParamSchema });

/**
 * The request (`requestFrom(requestStatement(id))`) if `principal` may see it, or 404: also for a
 * farmer once it is no longer open, and for other users.
 */
export function visibleRequest(
  request: CapacityRequest | null,
  principal: Principal,
  id: string,
): CapacityRequest {
  const visible =
    request !== null &&
    (principal.role === "admin" ||
      request.ownerId === principal.ownerId ||
      (principal.role === "farmer" && request.status === "open"));
  if (!visible || request === null) throw new ApiError("NOT_FOUND", `No capacity request ${id}`);
  return request;
}

const route = createRoute({
  method: "get",
  path: "/v1/capacity-requests/{id}",
  operationId: "getCapacityRequest",
  tags: ["marketplace"],
  summary: "A capacity request with its offers",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema, params: requestParamsSchema },
  responses: { 200: jsonResponse(requestSchema, "The request"), ...problemResponses(401, 403, 404, 422) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const id = c.req.valid("param").id;
    const [requestRead, offersRead] = await c
      .get("db")
      .batch([requestStatement(id), offersStatement(id)], "read");
    const request = visibleRequest(requestFrom(requestRead), principal, id);
    const offers = offersFrom(offersRead);
    const seesAll = principal.role === "admin" || request.ownerId === principal.ownerId;
    return c.json(
      requestJson(request, seesAll ? offers : offers.filter((offer) => offer.farmerId === principal.ownerId)),
      200,
    );
  });
}
