/**
 * Global setup of the workerd test project: a real libSQL server (the project's own, on the
 * embedded engine) on a random port with a temporary file database, migrated, and its URL
 * provided to the Worker's LIBSQL_URL binding.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startLibsqlServer } from "../../tools/libsql-server/server";
import { migrateDatabase } from "../../tools/migrate";

declare module "vitest" {
  export interface ProvidedContext {
    libsqlUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const directory = mkdtempSync(join(tmpdir(), "tfgrid-market-test-"));
  const server = await startLibsqlServer({ file: join(directory, "test.db"), port: 0 });
  await migrateDatabase(server.url);
  project.provide("libsqlUrl", server.url);
  return async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  };
}
