import { createRoute, z } from "@hono/zod-openapi";
import { now } from "../../kit/clock";
import { requireRoles } from "../../kit/http/middleware";
import { jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import { auditFrom, auditStatements } from "../../ledger/accounts";
import { auditMarket, marketMismatchesMax, marketMismatchKinds } from "../../market/flows/audit";

const auditSchema = z
  .object({
    balanced: z.boolean().openapi({
      description: "True when every check below passed: the ledger's own and the market's against it.",
    }),
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
    market: z
      .object({
        nodesChecked: z.number().int().openapi({ description: "Nodes whose bid book was asked." }),
        leasesChecked: z.number().int().openapi({ description: "Running and paused leases." }),
        openBidsChecked: z.number().int().openapi({ description: "Open interruptible bids in the books." }),
        auctionBidsChecked: z.number().int().openapi({ description: "Sealed auction bids still held." }),
        withdrawalsChecked: z.number().int().openapi({ description: "Withdrawals still pending." }),
        holdsChecked: z
          .number()
          .int()
          .openapi({ description: "Live lease and bid holds looked up for an owner." }),
        mismatchesTotal: z
          .number()
          .int()
          .openapi({
            description: `Market mismatches found; \`marketMismatches\` lists the first ${marketMismatchesMax}.`,
          }),
      })
      .openapi({ description: "What the market check covered." }),
    marketMismatches: z
      .array(
        z.object({
          kind: z.enum(marketMismatchKinds).openapi({
            description:
              "lease_without_hold: a running lease has no live hold (pending, something left, not timed out by its book's clock); bid_without_hold: an open node bid has none; auction_bid_without_hold: a held sealed auction bid's TFP hold is not live; withdrawal_without_hold: a pending withdrawal's two holds are not both live; hold_without_owner: a live lease, bid, auction or withdrawal hold that nothing tracks; hold_owner_closed: a live hold whose owner is finished (an ended and settled lease, a closed bid, a settled or cancelled auction bid, a paid or failed withdrawal); book_unreadable: a node's bid book did not answer, so its leases and bids are unchecked. Paused leases need no live hold: they accrue nothing while paused and are topped up (or paused for funds) before they run again.",
          }),
          id: z
            .string()
            .openapi({ description: "The lease, bid, auction bid, withdrawal, hold or node concerned." }),
          holdId: z.string().nullable(),
          nodeId: z.string().nullable(),
          holdCreatedAt: z.string().nullable().openapi({
            description: "When the hold concerned was placed (the placing clock's time), ISO 8601.",
            format: "date-time",
          }),
          holdSeq: z.string().nullable().openapi({
            description:
              "The hold's place in the ledger (its pending transfer's sequence number): later holds have larger numbers. The list is ordered by it, newest first, mismatches without a hold leading.",
            example: "1234",
          }),
          detail: z.string(),
        }),
      )
      .openapi({
        description:
          "The market checked against the ledger. Leases and bids are read from each node's bid book (their authority), not from the lease mirror; the books and the ledger are read one after the other, so while the market is busy a change landing between the reads can show once and be gone at the next audit.",
      }),
  })
  .openapi("Audit");

const route = createRoute({
  method: "get",
  path: "/v1/ledger/audit",
  operationId: "auditLedger",
  tags: ["ledger"],
  summary:
    "Recompute every balance from the transfers, check each asset sums to zero and the market's leases, bids, auction bids and withdrawals against their holds (admin)",
  security: [{ apiKey: [] }],
  middleware: [requireRoles("admin")] as const,
  request: { query: noQuerySchema },
  responses: { 200: jsonResponse(auditSchema, "The audit report"), ...problemResponses(401, 403) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const db = c.get("db");
    // The ledger's recomputation goes in the market audit's first read: one round trip for both.
    const { report: market, alongside } = await auditMarket(db, c.env, now(), auditStatements);
    const report = auditFrom(alongside);
    const { mismatches, ...marketCounts } = market;
    const marketMismatches = mismatches.map(({ holdCreatedAtMs, ...mismatch }) => ({
      ...mismatch,
      holdCreatedAt: holdCreatedAtMs === null ? null : new Date(holdCreatedAtMs).toISOString(),
      holdSeq: mismatch.holdSeq === null ? null : mismatch.holdSeq.toString(),
    }));
    return c.json(
      {
        ...report,
        balanced: report.balanced && market.mismatchesTotal === 0,
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
        market: marketCounts,
        marketMismatches,
      },
      200,
    );
  });
}
