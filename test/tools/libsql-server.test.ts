// Proves the project's local libSQL server speaks Hrana v2 over HTTP well enough for @libsql/client/web
// and drizzle: exact values, atomic batches, interactive transactions beside concurrent writers,
// migrations, protocol limits and a shutdown that rolls back open transactions.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type Client, createClient, LibsqlError } from "@libsql/client/web";
import { eq } from "drizzle-orm";
import { migrate } from "drizzle-orm/libsql/migrator";
import { drizzle } from "drizzle-orm/libsql/web";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LibsqlServer, startLibsqlServer } from "../../tools/libsql-server/server.ts";

const MIGRATIONS_FOLDER = fileURLToPath(new URL("./fixtures/migrations", import.meta.url));

let directory: string;
let server: LibsqlServer;
const openClients: Client[] = [];

function connect(url = server.url): Client {
  const client = createClient({ url, intMode: "bigint" });
  openClients.push(client);
  return client;
}

/** The rejection of `promise` (fails the test if it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

/** Message of an error and of its causes (drizzle wraps driver errors). */
function fullMessage(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    parts.push(current.message);
    current = current.cause;
  }
  return parts.join(" <- ");
}

async function count(client: Client, table: string): Promise<bigint> {
  const result = await client.execute(`SELECT count(*) AS n FROM ${table}`);
  return result.rows[0]?.n as bigint;
}

async function postPipeline(url: string, body: string): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${url}/v2/pipeline`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  return { status: response.status, json: await response.json() };
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "libsql-server-test-"));
  server = await startLibsqlServer({ file: join(directory, "main.db"), port: 0 });
});

afterEach(() => {
  for (const client of openClients.splice(0)) client.close();
});

afterAll(async () => {
  await server?.close();
  rmSync(directory, { recursive: true, force: true });
});

describe("values", () => {
  it("round-trips integers (incl. ±2^63 bounds), floats, unicode text, blobs and null exactly", async () => {
    const db = connect();
    await db.execute("CREATE TABLE vals (id INTEGER PRIMARY KEY, i INTEGER, f REAL, t TEXT, b BLOB, n ANY)");
    const samples = [
      { i: 9223372036854775807n, f: Math.PI, t: "héllo wörld — 日本語 🌍", b: [0, 1, 2, 253, 254, 255] },
      { i: -9223372036854775808n, f: -0.5, t: "", b: [] },
      { i: 9007199254740993n, f: 2, t: "line\nbreak\ttab 'quote' \"dq\"", b: [0] },
      {
        i: 0n,
        f: 1.7976931348623157e308,
        t: "ñ".repeat(1000),
        b: Array.from({ length: 300 }, (_, k) => k % 256),
      },
    ];
    for (const s of samples) {
      const inserted = await db.execute({
        sql: "INSERT INTO vals (i, f, t, b, n) VALUES (?, ?, ?, ?, ?)",
        args: [s.i, s.f, s.t, new Uint8Array(s.b), null],
      });
      expect(inserted.rowsAffected).toBe(1);
      expect(typeof inserted.lastInsertRowid).toBe("bigint");
    }

    const result = await db.execute("SELECT id, i, f, t, b, n FROM vals ORDER BY id");
    expect(result.columns).toEqual(["id", "i", "f", "t", "b", "n"]);
    expect(result.columnTypes).toEqual(["INTEGER", "INTEGER", "REAL", "TEXT", "BLOB", "ANY"]);
    expect(result.rows).toHaveLength(samples.length);
    samples.forEach((s, k) => {
      const row = result.rows[k]!;
      expect(row.id).toBe(BigInt(k + 1));
      expect(row.i).toBe(s.i);
      expect(row.f).toBe(s.f);
      expect(row.t).toBe(s.t);
      expect([...new Uint8Array(row.b as ArrayBuffer)]).toEqual(s.b);
      expect(row.n).toBeNull();
    });

    const types = await db.execute(
      "SELECT typeof(i), typeof(f), typeof(t), typeof(b), typeof(n) FROM vals WHERE id = 3",
    );
    expect(Object.values(types.rows[0]!)).toEqual(["integer", "real", "text", "blob", "null"]);

    // Named arguments with and without their prefix; rowids beyond 2^53 stay exact.
    const named = await db.execute({
      sql: "SELECT :a AS a, @b AS b, $c AS c",
      args: { a: 1n, "@b": "x", c: null },
    });
    expect(named.rows[0]).toMatchObject({ a: 1n, b: "x", c: null });
    const big = await db.execute({ sql: "INSERT INTO vals (id) VALUES (?)", args: [2n ** 62n + 1n] });
    expect(big.lastInsertRowid).toBe(2n ** 62n + 1n);

    // Statement errors surface as LibsqlError with the SQLite code.
    const error = await rejectionOf(db.execute("SELECT * FROM no_such_table"));
    expect(error).toBeInstanceOf(LibsqlError);
    expect((error as LibsqlError).code).toBe("SQLITE_ERROR");
    expect((error as LibsqlError).message).toContain("no such table");
  });
});

describe("batch", () => {
  it('is atomic in "write" mode: a failing step rolls every step back and the client sees the error', async () => {
    const db = connect();
    await db.execute(
      "CREATE TABLE wallets (name TEXT PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0)) STRICT",
    );
    const created = await db.batch(
      [
        { sql: "INSERT INTO wallets VALUES (?, ?)", args: ["alice", 100n] },
        { sql: "INSERT INTO wallets VALUES (?, ?)", args: ["bob", 0n] },
        "SELECT count(*) AS n FROM wallets",
      ],
      "write",
    );
    expect(created.map((r) => r.rowsAffected)).toEqual([1, 1, 0]);
    expect(created[2]?.rows[0]?.n).toBe(2n);

    const overdraw = await rejectionOf(
      db.batch(
        [
          "UPDATE wallets SET balance = balance + 150 WHERE name = 'bob'",
          "UPDATE wallets SET balance = balance - 150 WHERE name = 'alice'",
        ],
        "write",
      ),
    );
    expect(overdraw).toBeInstanceOf(LibsqlError);
    expect((overdraw as LibsqlError).code).toBe("SQLITE_CONSTRAINT");
    expect((overdraw as LibsqlError).message).toContain("CHECK constraint failed");

    const duplicate = await rejectionOf(
      db.batch(
        ["INSERT INTO wallets VALUES ('carol', 5)", "INSERT INTO wallets VALUES ('alice', 1)"],
        "write",
      ),
    );
    expect((duplicate as LibsqlError).code).toBe("SQLITE_CONSTRAINT");
    expect((duplicate as LibsqlError).message).toContain("UNIQUE constraint failed");

    const balances = await db.execute("SELECT name, balance FROM wallets ORDER BY name");
    expect(balances.rows.map((r) => [r.name, r.balance])).toEqual([
      ["alice", 100n],
      ["bob", 0n],
    ]);
  });
});

describe("interactive transactions", () => {
  it("commit and rollback across requests; a concurrent writer waits, the server stays responsive", async () => {
    const a = connect();
    const b = connect();
    await a.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY, who TEXT NOT NULL)");

    const tx = await a.transaction("write");
    await tx.execute("INSERT INTO entries (who) VALUES ('tx-1')");
    expect((await tx.execute("SELECT count(*) AS n FROM entries")).rows[0]?.n).toBe(1n);

    let otherSettled = false;
    const other = b.execute("INSERT INTO entries (who) VALUES ('other')").finally(() => {
      otherSettled = true;
    });
    // While the writer waits for the lock: reads on other streams and /health answer at once.
    const started = performance.now();
    expect(await count(b, "entries")).toBe(0n); // the open transaction is invisible
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1_000);
    await sleep(150);
    expect(otherSettled).toBe(false);

    await tx.execute("INSERT INTO entries (who) VALUES ('tx-2')");
    await tx.commit();
    expect((await other).rowsAffected).toBe(1);
    const who = await a.execute("SELECT who FROM entries ORDER BY id");
    expect(who.rows.map((r) => r.who)).toEqual(["tx-1", "tx-2", "other"]);

    const rolledBack = await a.transaction("write");
    await rolledBack.execute("INSERT INTO entries (who) VALUES ('never')");
    await rolledBack.execute("DELETE FROM entries WHERE who = 'tx-1'");
    await rolledBack.rollback();
    expect(await count(a, "entries")).toBe(3n);

    // A failing statement inside a transaction does not end it.
    const keepsGoing = await a.transaction("write");
    await keepsGoing.execute("INSERT INTO entries (who) VALUES ('kept')");
    expect(await rejectionOf(keepsGoing.execute("INSERT INTO entries (who) VALUES (NULL)"))).toBeInstanceOf(
      LibsqlError,
    );
    await keepsGoing.commit();
    expect(await count(a, "entries")).toBe(4n);
  });
});

describe("concurrency", () => {
  it("50 concurrent write batches queued behind a held lock all succeed with an exact count", async () => {
    const setup = connect();
    await setup.batch(
      [
        "CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL CHECK (n BETWEEN 0 AND 50))",
        "INSERT INTO counter VALUES (1, 0)",
        "CREATE TABLE hits (k INTEGER PRIMARY KEY)",
      ],
      "write",
    );
    // Hold the write lock so every writer meets SQLITE_BUSY and must wait asynchronously.
    const holder = await setup.transaction("write");
    await holder.execute("UPDATE counter SET n = n WHERE id = 1");

    const clients = Array.from({ length: 5 }, () => connect()); // a client runs at most 20 requests at once
    const writers = Array.from({ length: 50 }, (_, k) =>
      clients[k % clients.length]!.batch(
        [
          "UPDATE counter SET n = n + 1 WHERE id = 1",
          { sql: "INSERT INTO hits (k) VALUES (?)", args: [BigInt(k)] },
        ],
        "write",
      ),
    );
    await sleep(100);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    await holder.commit();

    const results = await Promise.all(writers);
    expect(results.every((r) => r[0]?.rowsAffected === 1 && r[1]?.rowsAffected === 1)).toBe(true);
    expect((await setup.execute("SELECT n FROM counter")).rows[0]?.n).toBe(50n);
    expect(await count(setup, "hits")).toBe(50n);
  });
});

describe("sequences and migrations", () => {
  it("executeMultiple runs scripts statement by statement and stops at the first error", async () => {
    const db = connect();
    await db.executeMultiple(`
      CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL); -- a comment; with a semicolon
      INSERT INTO notes (body) VALUES ('semi; colon'), ('it''s /* not a comment */');
      CREATE TRIGGER notes_upper AFTER INSERT ON notes BEGIN
        UPDATE notes SET body = upper(body) WHERE id = new.id;
      END;
      /* block; comment */ INSERT INTO notes (body) VALUES ('shout')
    `);
    const notes = await db.execute("SELECT body FROM notes ORDER BY id");
    expect(notes.rows.map((r) => r.body)).toEqual(["semi; colon", "it's /* not a comment */", "SHOUT"]);

    const error = await rejectionOf(
      db.executeMultiple(
        "INSERT INTO notes (body) VALUES ('x'); INSERT INTO nope VALUES (1); INSERT INTO notes (body) VALUES ('y');",
      ),
    );
    expect((error as LibsqlError).code).toBe("SQLITE_ERROR");
    expect(await count(db, "notes")).toBe(4n);
  });

  it("drizzle's migrate() applies a migrations folder once, with triggers and foreign keys in force", async () => {
    const client = connect();
    const db = drizzle(client);
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    expect(await count(client, "__drizzle_migrations")).toBe(2n);

    const accounts = sqliteTable("accounts", {
      id: integer("id").primaryKey(),
      name: text("name").notNull(),
      balance: integer("balance").notNull(),
    });
    const transfers = sqliteTable("transfers", {
      id: integer("id").primaryKey({ autoIncrement: true }),
      fromId: integer("from_id").notNull(),
      toId: integer("to_id").notNull(),
      amount: integer("amount").notNull(),
    });
    await db.insert(accounts).values([
      { id: 1, name: "alice", balance: 10 },
      { id: 2, name: "bob", balance: 0 },
    ]);
    await db.update(accounts).set({ balance: 25 }).where(eq(accounts.id, 1));
    const audit = await client.execute("SELECT note FROM audit");
    expect(audit.rows.map((r) => r.note)).toEqual(["balance; 10 -> 25"]);

    const raised = await rejectionOf(
      db.update(accounts).set({ balance: 2_000_000 }).where(eq(accounts.id, 2)),
    );
    expect(fullMessage(raised)).toContain("balance; too large");
    const orphan = await rejectionOf(db.insert(transfers).values({ fromId: 1, toId: 99, amount: 1 }));
    expect(fullMessage(orphan)).toContain("FOREIGN KEY constraint failed");
    const dup = await rejectionOf(db.insert(accounts).values({ id: 3, name: "alice", balance: 0 }));
    expect(fullMessage(dup)).toContain("UNIQUE constraint failed");
  });
});

describe("protocol", () => {
  it("answers the v2 version probe and 404s Hrana 3 endpoints so clients stay on v2 JSON", async () => {
    expect((await fetch(`${server.url}/v2`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/health`)).json()).toMatchObject({ status: "ok" });
    for (const path of ["/v3", "/v3-protobuf", "/v3/pipeline", "/v2/cursor"]) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(404);
      await response.arrayBuffer();
    }
  });

  it("evaluates batch conditions as the Hrana spec says and reports transaction state", async () => {
    const { status, json } = await postPipeline(
      server.url,
      JSON.stringify({
        baton: null,
        requests: [
          {
            type: "execute",
            stmt: { sql: "CREATE TABLE accounts_p (name TEXT PRIMARY KEY, balance INTEGER)" },
          },
          { type: "store_sql", sql_id: 7, sql: "SELECT ? + 1 AS v" },
          {
            type: "batch",
            batch: {
              steps: [
                { stmt: { sql_id: 7, args: [{ type: "integer", value: "41" }] } },
                { stmt: { sql: "SELECT * FROM missing_table" } },
                { condition: { type: "error", step: 1 }, stmt: { sql: "SELECT 'ran after error'" } },
                { condition: { type: "ok", step: 1 }, stmt: { sql: "SELECT 'must be skipped'" } },
                { condition: { type: "not", cond: { type: "ok", step: 3 } }, stmt: { sql: "BEGIN" } },
                { condition: { type: "is_autocommit" }, stmt: { sql: "SELECT 'skipped: in a transaction'" } },
                { condition: { type: "and", conds: [] }, stmt: { sql: "ROLLBACK" } },
                { condition: { type: "or", conds: [] }, stmt: { sql: "SELECT 'skipped: empty or'" } },
                {
                  condition: { type: "and", conds: [{ type: "is_autocommit" }, { type: "ok", step: 0 }] },
                  stmt: { sql: "SELECT 'autocommit again'", want_rows: false },
                },
              ],
            },
          },
          { type: "get_autocommit" },
          {
            type: "batch",
            batch: { steps: [{ condition: { type: "ok", step: 0 }, stmt: { sql: "SELECT 1" } }] },
          },
          { type: "execute", stmt: { sql_id: 8 } },
          { type: "close_sql", sql_id: 7 },
          { type: "describe", sql: "INSERT INTO accounts_p VALUES (:name, ?2) RETURNING balance" },
          { type: "execute", stmt: { sql: "BEGIN TRANSACTION READONLY" } },
          { type: "execute", stmt: { sql: "INSERT INTO accounts_p VALUES ('ro', 1)" } },
          { type: "execute", stmt: { sql: "ROLLBACK" } },
          { type: "execute", stmt: { sql: "INSERT INTO accounts_p VALUES ('rw', 1)" } },
          { type: "close" },
        ],
      }),
    );
    expect(status).toBe(200);
    const body = json as {
      baton: string | null;
      results: { type: string; response?: Record<string, unknown>; error?: { code: string } }[];
    };
    expect(body.baton).toBeNull();
    const [, , batch, autocommit, badStep, unknownSql, , describeResult, , readonlyWrite, , laterWrite] =
      body.results;
    const result = batch?.response?.result as {
      step_results: ({ rows: unknown[][] } | null)[];
      step_errors: ({ code: string } | null)[];
    };
    const ran = result.step_results.map((r, k) =>
      r !== null ? "ok" : result.step_errors[k] !== null ? "error" : "skipped",
    );
    expect(ran).toEqual(["ok", "error", "ok", "skipped", "ok", "skipped", "ok", "skipped", "ok"]);
    expect(result.step_results[0]?.rows).toEqual([[{ type: "integer", value: "42" }]]);
    expect(result.step_errors[1]?.code).toBe("SQLITE_ERROR");
    expect(result.step_results[8]?.rows).toEqual([]);
    expect(autocommit?.response).toEqual({ type: "get_autocommit", is_autocommit: true });
    expect(badStep?.error?.code).toBe("BATCH_COND_BAD_STEP");
    expect(unknownSql?.error?.code).toBe("SQL_NOT_FOUND");
    expect(describeResult?.response?.result).toEqual({
      params: [{ name: ":name" }, { name: "?2" }],
      cols: [{ name: "balance", decltype: "INTEGER" }],
      is_explain: false,
      is_readonly: false,
    });
    // libSQL's BEGIN READONLY (client.transaction("read")) refuses writes until the transaction ends.
    expect(readonlyWrite?.error?.code).toBe("SQLITE_READONLY");
    expect(laterWrite?.type).toBe("ok");
  });

  it("enforces its limits: 413, 400, unknown batons, stream count and idle expiry", async () => {
    const small = await startLibsqlServer({
      file: join(directory, "limits.db"),
      requestBodyBytesMax: 64 * 1024,
      streamsMax: 3,
      streamIdleMs: 200,
    });
    try {
      const oversized = await postPipeline(
        small.url,
        JSON.stringify({ requests: [{ type: "execute", stmt: { sql: `SELECT '${"x".repeat(70_000)}'` } }] }),
      );
      expect(oversized.status).toBe(413);
      expect(oversized.json).toMatchObject({ code: "REQUEST_TOO_LARGE", message: expect.any(String) });

      for (const malformed of [
        "{",
        JSON.stringify({ requests: {} }),
        JSON.stringify({ requests: [{ type: "frobnicate" }] }),
        JSON.stringify({
          requests: [
            { type: "execute", stmt: { sql: "SELECT ?", args: [{ type: "integer", value: "1.5" }] } },
          ],
        }),
        JSON.stringify({ requests: [{ type: "execute", stmt: { sql: "SELECT 1", sql_id: 1 } }] }),
      ]) {
        const rejected = await postPipeline(small.url, malformed);
        expect(rejected.status, malformed).toBe(400);
        expect(rejected.json).toMatchObject({ message: expect.any(String), code: expect.any(String) });
      }

      const unknownBaton = await postPipeline(small.url, JSON.stringify({ baton: "forged", requests: [] }));
      expect(unknownBaton.status).toBe(400);
      expect(unknownBaton.json).toMatchObject({ code: "STREAM_EXPIRED" });

      const db = connect(small.url);
      await db.execute("CREATE TABLE t (x INTEGER)");
      const held = await Promise.all(
        [1, 2, 3].map(async () => {
          const tx = await db.transaction("read");
          await tx.execute("SELECT 1");
          return tx;
        }),
      );
      const refused = await rejectionOf(db.execute("SELECT 1"));
      expect((refused as LibsqlError).code).toBe("STREAMS_EXHAUSTED");
      for (const tx of held) await tx.rollback();

      const idle = await db.transaction("write");
      await idle.execute("INSERT INTO t VALUES (1)");
      await sleep(450);
      const expired = await rejectionOf(idle.execute("INSERT INTO t VALUES (2)"));
      expect((expired as LibsqlError).code).toBe("STREAM_EXPIRED");
      // The expired stream's transaction was rolled back and its lock released.
      await db.execute("INSERT INTO t VALUES (3)");
      expect((await db.execute("SELECT x FROM t")).rows.map((r) => r.x)).toEqual([3n]);
    } finally {
      await small.close();
    }
  });
});

describe("shutdown", () => {
  it("close() rolls back open transactions, fails waiting writers, and the file reopens cleanly", async () => {
    const file = join(directory, "restart.db");
    const first = await startLibsqlServer({ file });
    const db = connect(first.url);
    const other = connect(first.url);
    await db.batch(["CREATE TABLE kept (x INTEGER)", "INSERT INTO kept VALUES (1)"], "write");
    const tx = await db.transaction("write");
    await tx.execute("INSERT INTO kept VALUES (2)");
    const waiting = rejectionOf(other.execute("INSERT INTO kept VALUES (3)"));
    await sleep(50);

    const started = performance.now();
    await first.close();
    await first.close(); // idempotent
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(await waiting).toBeInstanceOf(LibsqlError);
    expect(await rejectionOf(tx.execute("SELECT 1"))).toBeInstanceOf(Error);

    const second = await startLibsqlServer({ file });
    try {
      const reopened = connect(second.url);
      expect((await reopened.execute("SELECT x FROM kept ORDER BY x")).rows.map((r) => r.x)).toEqual([1n]);
    } finally {
      await second.close();
    }
  });
});
