/**
 * Cross-cutting middleware: request ids, the per-request database client, body limits and
 * media types, authentication with per-route roles, and Idempotency-Key replay.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { authenticate } from "../auth";
import { openDatabase } from "../db/client";
import type { Role } from "../db/schema";
import { newId, sha256Hex } from "../ids";
import { ApiError } from "./errors";
import { throttleAnonymous, throttleKey } from "./rate-limit";
import type { AppEnv } from "./types";

/**
 * Headers on every response of the Worker: `nosniff`, so a browser never runs a JSON or problem
 * body as another type; and `Cache-Control: no-store` unless the response chose its own, because
 * API responses are per caller and some carry secrets (`POST /v1/keys` returns a key once).
 */
export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  c.res.headers.set("x-content-type-options", "nosniff");
  if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
};

/** How long a browser may reuse a preflight answer: 10 minutes. */
export const corsPreflightMaxAgeSeconds = 600;

/**
 * CORS for `/v1/*`, chosen deliberately: the API authenticates with bearer keys in the
 * Authorization header and never with cookies, so a page on another origin can do nothing a
 * script outside a browser could not already do with the same key; ambient credentials, the
 * thing CORS protects, do not exist here. So any origin may call it, without credentials
 * (`Access-Control-Allow-Credentials` is never sent), with only the request headers the API
 * reads, and may read the response headers a client needs. Preflights answer 204.
 */
export const apiCors: MiddlewareHandler<AppEnv> = cors({
  origin: "*",
  allowMethods: ["GET", "POST", "PUT", "DELETE"],
  allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id"],
  exposeHeaders: ["X-Request-Id", "Idempotent-Replayed", "Retry-After"],
  maxAge: corsPreflightMaxAgeSeconds,
  credentials: false,
});

/** Limits requests without credentials per client address (src/kit/http/rate-limit.ts). */
export const anonymousRateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  await throttleAnonymous(c);
  await next();
};

/** Largest request body accepted by any route: 64 KiB. */
export const requestBodyBytesMax = 64 * 1024;

const requestIdPattern = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Gives every request an id (the caller's X-Request-Id if well-formed) and a database client. */
export const requestContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && requestIdPattern.test(incoming) ? incoming : newId("req");
  c.set("requestId", requestId);
  c.set("db", openDatabase(c.env));
  await next();
  c.res.headers.set("x-request-id", requestId);
};

/** Refuses bodies over `requestBodyBytesMax` (413) and non-JSON bodies (415). */
export const bodyGuards: MiddlewareHandler<AppEnv>[] = [
  bodyLimit({
    maxSize: requestBodyBytesMax,
    onError: () => {
      throw new ApiError("BODY_TOO_LARGE", `Request bodies are limited to ${requestBodyBytesMax} bytes`);
    },
  }),
  async (c, next) => {
    const method = c.req.method;
    const hasBody = c.req.header("content-length") !== "0" && c.req.raw.body !== null;
    if (
      (method === "POST" || method === "PUT" || method === "PATCH") &&
      hasBody &&
      !c.req.path.startsWith("/v1/webhooks/")
    ) {
      const type = c.req.header("content-type") ?? "";
      if (!/^application\/json\b/i.test(type)) {
        throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Request bodies must be application/json");
      }
    }
    await next();
  },
];

/**
 * Requires a valid bearer key whose role is one of `roles`; sets `principal`.
 * 401 without a usable key, 403 with a key of another role.
 */
export function requireRoles(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer (\S+)$/.exec(header);
    if (!match) throw new ApiError("UNAUTHENTICATED", "Send an API key as `Authorization: Bearer <key>`");
    const principal = await authenticate(c.get("db"), match[1]!);
    if (!principal)
      throw new ApiError("UNAUTHENTICATED", "The API key is not valid, or was revoked or has expired");
    await throttleKey(c, principal.keyId);
    if (!roles.includes(principal.role)) {
      throw new ApiError("FORBIDDEN", `This operation needs one of the roles: ${roles.join(", ")}`);
    }
    c.set("principal", principal);
    await next();
  };
}

/**
 * Every role that acts for a person or a service: a `node` key (a node's agent) is left out, so it
 * reaches only the routes that name it (its node's heartbeat, assignments and their states, `GET /v1/me`).
 */
export const anyRole: Role[] = ["admin", "user", "farmer", "lp", "oracle"];

/** Throws 403 unless the principal is an admin or owns the resource. */
export function assertOwner(principal: { role: Role; ownerId: string }, ownerId: string | null): void {
  if (principal.role === "admin") return;
  if (ownerId === null || ownerId !== principal.ownerId) {
    throw new ApiError("FORBIDDEN", "This resource belongs to another owner");
  }
}

/**
 * Throws 403 unless the principal may act as node `nodeId`'s agent: an admin, the node's farmer
 * (`farmerId`; a farmer's key keeps working for its own nodes), or a `node` key bound to that node.
 * A node key bound to another node is refused without looking the node up.
 */
export function assertNodeAgent(
  principal: { role: Role; ownerId: string; nodeId: string | null },
  nodeId: string,
  farmerId: string | null,
): void {
  if (principal.role === "node") {
    if (principal.nodeId !== nodeId) throw new ApiError("FORBIDDEN", "This key is bound to another node");
    return;
  }
  assertOwner(principal, farmerId);
}

/**
 * Whose items a "mine" list shows: the caller's own unless `requested` names another owner, which
 * only an admin may (403 otherwise).
 */
export function ownerToList(
  principal: { role: Role; ownerId: string },
  requested: string | undefined,
): string {
  if (requested === undefined || requested === principal.ownerId) return principal.ownerId;
  if (principal.role !== "admin")
    throw new ApiError("FORBIDDEN", "Only admins may list another owner's items");
  return requested;
}

export { idempotent } from "./idempotency";

/** Derives a stable transfer id from the caller's Idempotency-Key, so retries never move value twice. */
export async function transferIdFor(
  ownerId: string,
  idempotencyKey: string,
  purpose: string,
): Promise<string> {
  return `${purpose}_${(await sha256Hex(`${ownerId}\n${idempotencyKey}`)).slice(0, 32)}`;
}
