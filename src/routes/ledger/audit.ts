import { createRoute, z } from "@hono/zod-openapi";
import { requireRoles } from "../../http/middleware";
import { jsonResponse, problemResponses } from "../../http/schemas";
import type { App } from "../../http/types";
import { audit } from "../../ledger/accounts";

const auditSchema = z
  .object({
    balanced: z.boolean().openapi({ description: "True when every check below passed." }),
    accountsChecked: z.number().int(),
    transfersChecked: z.number().int(),
    assets: z.array(
      z.object({
        asset: z.string(),
        postedSumMinor: z.string(),
        pendingDebitsMinor: z.string(),
        pendingCreditsMinor: z.string(),
      }),
    ),
    mismatches: z.array(
      z.object({
        accountId: z.string(),
        field: z.string(),
        storedMinor: z.string(),
        recomputedMinor: z.string(),
      }),
    ),
    holdMismatches: z.array(
      z.object({ holdId: z.string(), storedMinor: z.string(), recomputedMinor: z.string() }),
    ),
  })
  .openapi("Audit");

const route = createRoute({
  method: "get",
  path: "/v1/ledger/audit",
  tags: ["ledger"],
  summary: "Recompute every balance from the transfers and check each asset sums to zero (admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin")] as const,
  responses: { 200: jsonResponse(auditSchema, "The audit report"), ...problemResponses(401, 403) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const report = await audit(c.get("db"));
    return c.json(
      {
        ...report,
        assets: report.assets.map((asset) => ({
          asset: asset.asset,
          postedSumMinor: asset.postedSumMinor.toString(),
          pendingDebitsMinor: asset.pendingDebitsMinor.toString(),
          pendingCreditsMinor: asset.pendingCreditsMinor.toString(),
        })),
        mismatches: report.mismatches.map((row) => ({
          ...row,
          storedMinor: row.storedMinor.toString(),
          recomputedMinor: row.recomputedMinor.toString(),
        })),
        holdMismatches: report.holdMismatches.map((row) => ({
          ...row,
          storedMinor: row.storedMinor.toString(),
          recomputedMinor: row.recomputedMinor.toString(),
        })),
      },
      200,
    );
  });
}
