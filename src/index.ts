/**
 * The Worker entry: the Hono app's fetch, the scheduled handler, and the Durable Object classes.
 */
import { buildApp } from "./app";

const app = buildApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
