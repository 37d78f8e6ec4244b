import { createRoute, z } from "@hono/zod-openapi";
import { accountKinds } from "../../kit/db/schema";
import { requireRoles } from "../../kit/http/middleware";
import {
  assetSchema,
  jsonBody,
  jsonResponse,
  nameCharsMax,
  noQuerySchema,
  problemResponses,
  textField,
} from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { createAccount } from "../../ledger/accounts";
import { accountJson, accountSchema } from "./schemas";

const bodySchema = z.strictObject({
  ownerId: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .openapi({ example: "usr_alice" }),
  asset: assetSchema,
  kind: z
    .enum(accountKinds.filter((kind) => kind !== "issuance") as [string, ...string[]])
    .openapi({ example: "user" }),
  name: textField({ maxChars: nameCharsMax }).optional(),
});

const route = createRoute({
  method: "post",
  path: "/v1/accounts",
  operationId: "createAccount",
  tags: ["accounts"],
  summary: "Create a ledger account for an owner (admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin")] as const,
  request: { query: noQuerySchema, body: jsonBody(bodySchema) },
  responses: {
    201: jsonResponse(accountSchema, "The new account, with zero balances"),
    ...problemResponses(401, 403, 413, 415, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    const account = await createAccount(c.get("db"), {
      ownerId: input.ownerId,
      asset: input.asset,
      kind: input.kind as (typeof accountKinds)[number],
      name: input.name ?? null,
    });
    return c.json(accountJson(account), 201);
  });
}
