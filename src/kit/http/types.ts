/** The Hono environment shared by every route: bindings and per-request variables. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Client } from "@libsql/client";
import type { Principal } from "../auth";

export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    db: Client;
    /** Set by the auth middleware on routes that require a key. */
    principal: Principal;
  };
};

export type App = OpenAPIHono<AppEnv>;
