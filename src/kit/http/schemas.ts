/**
 * Schemas shared by many routes. Amounts travel as decimal strings in the asset's unit
 * ("12.5" CC) and are converted to integer minor units with `minorOf`, which refuses more
 * decimals than the asset has.
 */
import { z } from "@hono/zod-openapi";
import { type AssetCode, assetCodes, parseAmount } from "../../ledger/core/money";
import type { TimeCursor } from "../db/cursor";
import { idMessages, idPatterns } from "../ids";
import { isSafeText, unsafeTextMessage } from "../text";
import { ApiError } from "./errors";

export const assetSchema = z.enum(assetCodes as [AssetCode, ...AssetCode[]]).openapi({ example: "CC" });

/** An account id (`acc_…`), documented in the API document. */
export const accountIdSchema = z
  .string()
  .regex(idPatterns.account, idMessages.account)
  .openapi({ example: "acc_3XkPq0fJ2m9Zb7Lr1sYtWc" });
/** A node id (`node_…`), documented in the API document. */
export const nodeIdSchema = z
  .string()
  .regex(idPatterns.node, idMessages.node)
  .openapi({ example: "node_3XkPq0fJ2m9Zb7Lr1sYtWc" });

/**
 * The one schema for free text from callers (names, reasons, notes): between `minChars` and
 * `maxChars` UTF-16 code units (after trimming, with `trim`), and no control or bidirectional
 * formatting characters (`isSafeText`). Every free-text field of every route is built with it, so a bad
 * character is a 422 naming the field instead of a database error.
 */
export function textField(options: { maxChars: number; minChars?: number; trim?: boolean }) {
  const base = options.trim ? z.string().trim() : z.string();
  return base
    .min(options.minChars ?? 1)
    .max(options.maxChars)
    .refine(isSafeText, unsafeTextMessage);
}

/** Longest name of anything a caller names (accounts, keys, nodes, pools, bid packages). */
export const nameCharsMax = 120;

/** A non-negative decimal string; precision is checked against the asset by `minorOf`. */
export const amountSchema = z
  .string()
  .max(40)
  .regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/, 'must be a non-negative decimal string such as "12.5"')
  .openapi({ example: "12.500000", description: "Decimal amount in the asset's unit, as a string." });

/** A decimal string for prices and rates (up to 18 decimals). */
export const decimalSchema = z
  .string()
  .max(40)
  .regex(/^(0|[1-9][0-9]*)(\.[0-9]{1,18})?$/, "must be a non-negative decimal string")
  .openapi({ example: "0.128" });

/** A positive amount of `asset` in minor units, or a 422 naming `field`. */
export function minorOf(
  asset: AssetCode,
  text: string,
  field: string,
  options: { allowZero?: boolean } = {},
): bigint {
  const parsed = parseAmount(asset, text);
  if (!parsed.ok) {
    const detail =
      parsed.reason === "precision"
        ? `${asset} amounts have at most ${assetDecimals(asset)} decimals`
        : parsed.reason === "range"
          ? "Amount is too large"
          : "Amount must be a decimal string";
    throw new ApiError("VALIDATION_FAILED", detail, [{ field, detail }]);
  }
  if (parsed.minor < 0n || (parsed.minor === 0n && !options.allowZero)) {
    throw new ApiError("VALIDATION_FAILED", "Amount must be positive", [
      { field, detail: "must be positive" },
    ]);
  }
  return parsed.minor;
}

function assetDecimals(asset: AssetCode): number {
  return { CC: 6, TFT: 7, TFP: 7, USDC: 6, USD: 2 }[asset];
}

export const problemSchema = z
  .object({
    type: z.string().openapi({ example: "urn:tfgrid-market:problem:insufficient-funds" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    code: z.string(),
    requestId: z.string().nullable(),
    errors: z.array(z.object({ field: z.string(), detail: z.string() })).optional(),
  })
  .openapi("Problem");

/**
 * Problems any route can answer: 429 past a rate limit (src/kit/http/rate-limit.ts) and 503 while
 * the database cannot be reached.
 */
const everyRouteStatuses = [429, 503];

/** Standard error responses for a route's OpenAPI description (429 and 503 always included). */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    [...new Set([...statuses, ...everyRouteStatuses])].map((status) => [
      status,
      {
        description: `Problem (${status})`,
        content: { "application/problem+json": { schema: problemSchema } },
      },
    ]),
  );
}

/** Page size bounds shared by every list endpoint. */
export const pageSizeDefault = 50;
export const pageSizeMax = 200;

/** A list's `limit`: 1 to `max`, default `pageSizeDefault`. */
export function pageLimitSchema(max: number, description = `At most ${max}.`) {
  return z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .default(pageSizeDefault)
    .openapi({ description, example: 50 });
}

export const pageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(pageSizeMax).default(pageSizeDefault).openapi({ example: 50 }),
  cursor: z
    .string()
    .regex(/^[0-9]{1,19}$/, "must be a cursor returned by the previous page")
    .optional(),
});

export const idempotencyHeaderSchema = z.object({
  "idempotency-key": z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{8,100}$/, "must be 8–100 characters of A–Z a–z 0–9 _ . : -")
    .openapi({ description: "Required on every POST that moves value; a retry with the same key is safe." }),
});

export function jsonBody<T extends z.ZodType>(schema: T, description = "Request body") {
  return { required: true, description, content: { "application/json": { schema } } };
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/**
 * The query of a route that takes no query parameters: any parameter is refused like an unknown
 * one on a route that has a query (422 VALIDATION_FAILED naming `query.<name>`), so every route
 * answers a misspelt or unsupported parameter the same way instead of ignoring it.
 */
export const noQuerySchema = z.strictObject({});

/** The `cursor` query parameter of a list ordered by a time and an id: `<epoch ms>:<id>`. */
export const timeCursorSchema = z
  .string()
  .regex(/^[0-9]{1,16}:[A-Za-z0-9_]{1,100}$/, "must be a cursor returned by the previous page")
  .openapi({
    description: "The previous page's `nextCursor`; omit it for the first page.",
    example: "1764849600000:lse_3f9a0c7Qm2Xr9LtK4pZsWd",
  });

/** A `timeCursorSchema` text as the stores take it (null without one). */
export function timeCursorOf(text: string | undefined): TimeCursor | null {
  if (text === undefined) return null;
  const separator = text.indexOf(":");
  return { atMs: Number(text.slice(0, separator)), id: text.slice(separator + 1) };
}

/** A store's cursor as the API shows it (null: no next page). */
export function timeCursorText(cursor: TimeCursor | null): string | null {
  return cursor === null ? null : `${cursor.atMs}:${cursor.id}`;
}

/**
 * A query parameter that takes one or more of `values` as one comma-separated list
 * (`status=running,paused`), read as the distinct values. Repeating the parameter is refused
 * (422 naming it) rather than half-read, so there is one way to ask for several.
 */
export function commaListSchema<T extends string>(values: readonly [T, ...T[]]) {
  const one = values.join("|");
  return z
    .string()
    .regex(
      new RegExp(`^(${one})(,(${one}))*$`),
      `must be one or more of ${values.join(", ")}, comma-separated`,
    )
    .transform((text) => [...new Set(text.split(","))] as T[]);
}

/**
 * The `ownerId` query parameter of the "mine" lists: only admins may name another owner (a
 * non-admin may name only themselves).
 */
export const ownerFilterSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, "must be an owner id")
  .openapi({
    description: "Admins only: another owner's items. Others may name only themselves (else 403).",
    example: "usr_alice",
  });
