/**
 * `GET /v1/nodes/{id}/agent`: the node agent's live feed, a WebSocket held by the node's book with
 * the Hibernation API (src/market/object/agent-feed.ts): assignment changes arrive as they are
 * committed, as pages shaped like `GET /v1/nodes/{id}/assignments`. `?after=<cursor>` resumes
 * after a cursor (`after=0`: from scratch); without it the agent sends `{"type":"resume","after":…}`
 * first. The key is checked here, in the Worker (the node's key, its farmer's, or an admin's), and
 * the upgrade is handed to the book. Not in the OpenAPI document, which has no way to say
 * "switching protocols"; the assignments operation names it.
 */
import type { Context } from "hono";
import { z } from "zod";
import { ApiError } from "../../kit/http/errors";
import { requireRoles } from "../../kit/http/middleware";
import { nodeIdSchema } from "../../kit/http/schemas";
import type { App, AppEnv } from "../../kit/http/types";
import { zodProblems } from "../../kit/result";
import { bookOf } from "../../market/flows/books";
import { cursorTextSchema } from "./agent-schemas";
import { agentCaller } from "./schemas";

const requestSchema = z.strictObject({
  param: z.strictObject({ id: nodeIdSchema }),
  query: z.strictObject({ after: cursorTextSchema.optional() }),
  header: z.strictObject({
    upgrade: z.literal("websocket", { error: "send `Upgrade: websocket`: this route is a WebSocket" }),
  }),
});

/** The problem a refusal of the book's answers as. */
const refusals: Record<number, ApiError["code"]> = {
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  429: "LIMIT_REACHED",
};

async function openFeed(c: Context<AppEnv>): Promise<Response> {
  const parsed = requestSchema.safeParse({
    param: { id: c.req.param("id") },
    query: c.req.query(),
    header: { upgrade: c.req.header("upgrade")?.toLowerCase() },
  });
  if (!parsed.success) {
    const errors = zodProblems(parsed.error);
    throw new ApiError(
      "VALIDATION_FAILED",
      `Invalid request: ${errors.map((e) => e.field).join(", ")}`,
      errors,
    );
  }
  const { param, query } = parsed.data;
  const id = param.id;
  const asFarmer = agentCaller(c.get("principal"), id);
  const target = new URL("https://book.internal/agent");
  target.searchParams.set("nodeId", id);
  if (asFarmer !== null) target.searchParams.set("asFarmer", asFarmer);
  if (query.after !== undefined)
    target.searchParams.set("after", query.after === "0" ? "reset" : query.after);
  const answer = await bookOf(c.env, id).fetch(target.toString(), { headers: { upgrade: "websocket" } });
  if (answer.status !== 101 || answer.webSocket === null) {
    throw new ApiError(refusals[answer.status] ?? "INTERNAL", await answer.text());
  }
  // A fresh response, so the middleware may add its headers (a fetched response's are immutable).
  return new Response(null, { status: 101, webSocket: answer.webSocket });
}

export function register(app: App) {
  app.get("/v1/nodes/:id/agent", requireRoles("node", "farmer", "admin"), openFeed);
}
