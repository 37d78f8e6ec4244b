/**
 * Development-only routes (`/v1/dev/…`: moving the service's clock, settling a node now) exist only
 * where `ENVIRONMENT` is `development` or `test`. Anywhere else — production, or a value nobody
 * expected — they answer 404 NOT_FOUND before authentication, as if they were not there: a caller
 * learns nothing from a key it tries, and a mis-set environment fails closed.
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors";
import type { AppEnv } from "./types";

/** The environments in which development routes answer. */
export const developmentEnvironments: readonly string[] = ["development", "test"];

/** 404 NOT_FOUND unless the Worker's ENVIRONMENT is `development` or `test`. */
export const developmentOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!developmentEnvironments.includes(c.env.ENVIRONMENT)) {
    throw new ApiError(
      "NOT_FOUND",
      `No route for ${c.req.method} ${c.req.path}: development routes answer only where ENVIRONMENT is development or test`,
    );
  }
  await next();
};
