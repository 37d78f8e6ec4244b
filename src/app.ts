/**
 * Builds the Hono app: middleware, the error handler, the OpenAPI document and every route.
 */

import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { sweepSoon } from "./events/consumer";
import { isDatabaseUnavailable } from "./kit/db/client";
import { docsPage } from "./kit/http/docs";
import { ApiError, problemResponse } from "./kit/http/errors";
import { storedResponseOf } from "./kit/http/idempotency";
import {
  anonymousRateLimit,
  apiCors,
  bodyGuards,
  requestContext,
  securityHeaders,
} from "./kit/http/middleware";
import { apiKeySchemeName, openApiDocumentConfig } from "./kit/http/openapi";
import { countFailure } from "./kit/http/rate-limit";
import type { App, AppEnv } from "./kit/http/types";
import { zodProblems } from "./kit/result";
import { registerRoutes } from "./routes";

/** A request that does not match its schema: every problem, each field prefixed by where it was. */
function validationError(error: ZodError, target: string): ApiError {
  const errors = zodProblems(error, target === "json" ? "" : target).map((problem) =>
    problem.field === "input" ? { ...problem, field: target } : problem,
  );
  return new ApiError(
    "VALIDATION_FAILED",
    `Invalid ${target === "json" ? "body" : target}: ${errors.map((e) => e.field).join(", ")}`,
    errors,
  );
}

/** The methods of a request that may change something (and so write events). */
const writeMethods: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Retry-After sent while the database is unreachable: outages seen so far lasted seconds. */
export const databaseRetryAfterSeconds = 5;

export function buildApp(): App {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error as ZodError, result.target);
    },
  });

  app.use("*", securityHeaders);
  app.use("/v1/*", apiCors);
  app.use("*", requestContext);
  app.use("*", anonymousRateLimit);
  app.use("*", ...bodyGuards);
  // After a request that changed something, the webhook deliveries its events made go to the
  // queue within about a second (src/events/consumer.ts `sweepSoon`); WEBHOOK_SWEEP_AFTER_WRITES
  // "off" leaves them to the every-minute sweep.
  app.use("/v1/*", async (c, next) => {
    await next();
    if (!writeMethods.has(c.req.method) || c.res.status >= 400 || c.env.WEBHOOK_SWEEP_AFTER_WRITES === "off")
      return;
    const sweep = sweepSoon(c.env, c.get("db"));
    if (sweep !== null) c.executionCtx.waitUntil(sweep);
  });

  app.onError(async (error, c) => {
    // A repeated Idempotency-Key found by a handler's first reads: the first answer again.
    const stored = storedResponseOf(error);
    if (stored) return stored;
    // Refused credentials count against the caller's address; past its limit they answer 429.
    if (error instanceof ApiError) return problemResponse(c, await countFailure(c, error));
    if (error instanceof HTTPException && error.status < 500) {
      const code =
        error.status === 413
          ? "BODY_TOO_LARGE"
          : error.status === 401
            ? "UNAUTHENTICATED"
            : "MALFORMED_REQUEST";
      return problemResponse(
        c,
        await countFailure(c, new ApiError(code, error.message || "The request could not be read")),
      );
    }
    if (isDatabaseUnavailable(error)) {
      // A transport failure, not a bug: the caller may retry; /v1/health says "degraded" meanwhile.
      console.warn(
        JSON.stringify({
          level: "warn",
          requestId: c.get("requestId"),
          path: c.req.path,
          error: String(error),
        }),
      );
      return problemResponse(
        c,
        new ApiError("DATABASE_UNAVAILABLE", "The database cannot be reached right now; retry shortly", [], {
          retryAfterSeconds: databaseRetryAfterSeconds,
        }),
      );
    }
    console.error(
      JSON.stringify({
        level: "error",
        requestId: c.get("requestId"),
        path: c.req.path,
        error: String(error),
        stack: error instanceof Error ? error.stack : undefined,
      }),
    );
    return problemResponse(
      c,
      new ApiError("INTERNAL", "An unexpected error occurred; it was logged with this request id"),
    );
  });
  app.notFound((c) =>
    problemResponse(c, new ApiError("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`)),
  );

  app.openAPIRegistry.registerComponent("securitySchemes", apiKeySchemeName, {
    type: "http",
    scheme: "bearer",
    description: "An API key `tfm_<prefix>_<secret>` created by an admin.",
  });
  registerRoutes(app);

  app.doc31("/openapi.json", (c) => openApiDocumentConfig(c.env.PUBLIC_API_URL));
  app.get("/docs", docsPage);
  return app;
}
