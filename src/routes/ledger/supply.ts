import { createRoute, z } from "@hono/zod-openapi";
import { anyRole, requireRoles } from "../../kit/http/middleware";
import { assetSchema, jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { supply } from "../../ledger/accounts";
import { formatAmount } from "../../ledger/core/money";

const supplySchema = z
  .object({
    assets: z.array(
      z.object({
        asset: assetSchema,
        issued: z
          .string()
          .openapi({ description: "Ever minted (CC, TFP) or taken into custody (TFT, USDC, USD)." }),
        burned: z.string(),
        circulating: z.string().openapi({ description: "issued − burned" }),
        locked: z.string().openapi({ description: "Held in vault accounts: TFT locked against TFP." }),
        pending: z.string().openapi({ description: "Held by pending transfers." }),
      }),
    ),
  })
  .openapi("Supply");

const route = createRoute({
  method: "get",
  path: "/v1/ledger/supply",
  operationId: "getLedgerSupply",
  tags: ["ledger"],
  summary: "Per-asset supply: issued, burned, circulating and locked",
  security: [{ apiKey: [] }],
  middleware: [requireRoles(...anyRole)] as const,
  request: { query: noQuerySchema },
  responses: { 200: jsonResponse(supplySchema, "Supply figures"), ...problemResponses(401) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const rows = await supply(c.get("db"));
    return c.json(
      {
        assets: rows.map((row) => ({
          asset: row.asset,
          issued: formatAmount(row.asset, row.issuedMinor),
          burned: formatAmount(row.asset, row.burnedMinor),
          circulating: formatAmount(row.asset, row.circulatingMinor),
          locked: formatAmount(row.asset, row.lockedMinor),
          pending: formatAmount(row.asset, row.pendingMinor),
        })),
      },
      200,
    );
  });
}
