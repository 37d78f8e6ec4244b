/**
 * `GET /v1/bid-packages`: ThreeFold's standing bids (§16) — minimum spec, CC price per slice-month,
 * slices committed and filled. Public, like the prices farmers compare them with.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { listPackages } from "../../market/store/packages";
import { packageJson, packageSchema } from "./schemas";

const route = createRoute({
  method: "get",
  path: "/v1/bid-packages",
  operationId: "listBidPackages",
  security: [],
  tags: ["marketplace"],
  summary: "ThreeFold's bid packages (public)",
  request: { query: noQuerySchema },
  responses: {
    200: jsonResponse(z.object({ data: z.array(packageSchema) }).openapi("BidPackageList"), "The packages"),
    ...problemResponses(422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    return c.json({ data: (await listPackages(c.get("db"), now())).map(packageJson) }, 200);
  });
}
