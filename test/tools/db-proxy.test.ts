/**
 * tools/db-proxy.ts in front of the project's libSQL server: every HTTP request to the database
 * counts as one round trip (a batch is one), answers pass through unchanged, and the stats
 * endpoints are answered by the proxy itself without reaching the database.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DbProxy, startDbProxy } from "../../tools/db-proxy.ts";
import { type LibsqlServer, startLibsqlServer } from "../../tools/libsql-server/server.ts";

let directory: string;
let server: LibsqlServer;
let proxy: DbProxy;
let client: Client;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "db-proxy-test-"));
  server = await startLibsqlServer({ file: join(directory, "main.db"), port: 0 });
  proxy = await startDbProxy({ target: server.url });
  client = createClient({ url: proxy.url, intMode: "bigint" });
});

afterAll(async () => {
  client.close();
  await proxy.close();
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

describe("db-proxy", () => {
  it("counts one round trip per request: an execute is one, a batch of three statements is one", async () => {
    proxy.reset();
    await client.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
    expect(proxy.requests()).toBe(1);
    await client.batch(
      [
        { sql: "INSERT INTO notes (body) VALUES (?)", args: ["one"] },
        { sql: "INSERT INTO notes (body) VALUES (?)", args: ["two"] },
        "SELECT count(*) AS n FROM notes",
      ],
      "write",
    );
    expect(proxy.requests()).toBe(2);
  });

  it("passes answers through unchanged", async () => {
    const direct = createClient({ url: server.url, intMode: "bigint" });
    try {
      const viaProxy = await client.execute("SELECT body FROM notes ORDER BY id");
      const viaServer = await direct.execute("SELECT body FROM notes ORDER BY id");
      expect(viaProxy.rows.map((row) => row.body)).toEqual(["one", "two"]);
      expect(viaProxy.rows.map((row) => row.body)).toEqual(viaServer.rows.map((row) => row.body));
    } finally {
      direct.close();
    }
  });

  it("answers its stats, reset and delay endpoints itself, without counting them", async () => {
    proxy.reset();
    await client.execute("SELECT 1");
    expect(await (await fetch(`${proxy.url}/__stats`)).json()).toEqual({ requests: 1, delayMs: 0 });
    expect(await (await fetch(`${proxy.url}/__delay?ms=25`, { method: "POST" })).json()).toEqual({
      requests: 1,
      delayMs: 25,
    });
    expect(await (await fetch(`${proxy.url}/__stats/reset`, { method: "POST" })).json()).toEqual({
      requests: 0,
      delayMs: 25,
    });
    expect((await fetch(`${proxy.url}/__delay?ms=-5`, { method: "POST" })).status).toBe(400);
    expect((await fetch(`${proxy.url}/__delay?ms=abc`, { method: "POST" })).status).toBe(400);
    expect(await (await fetch(`${proxy.url}/__stats`)).json()).toEqual({ requests: 0, delayMs: 25 });
    proxy.setDelay(0);
    expect(proxy.requests()).toBe(0);
  });
});
