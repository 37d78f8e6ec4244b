// Proves the drizzle schema (src/kit/db/schema.ts) describes the database the migrations build:
// every table, column (type, nullability, default, primary key), index (name, columns, unique,
// partial), unique constraint and foreign key of a freshly migrated libSQL file agrees with it,
// and drizzle-kit finds nothing to generate from it. Triggers and CHECKs stay hand-written SQL and
// are not compared here.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { type Client, createClient } from "@libsql/client";
import { is, SQL } from "drizzle-orm";
import { getTableConfig, SQLiteSyncDialect, SQLiteTable } from "drizzle-orm/sqlite-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as schema from "../../src/kit/db/schema.ts";
import { migrateDatabase, migrationsFolder } from "../../tools/migrate.ts";

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));
const dialect = new SQLiteSyncDialect();
const tables: SQLiteTable[] = Object.values(schema as Record<string, unknown>).filter(
  (value): value is SQLiteTable => is(value, SQLiteTable),
);

let directory: string;
let client: Client;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "db-schema-"));
  const url = `file:${join(directory, "migrated.db")}`;
  await migrateDatabase(url);
  client = createClient({ url, intMode: "number" });
}, 60_000);

afterAll(() => {
  client?.close();
  rmSync(directory, { recursive: true, force: true });
});

type Row = Record<string, unknown>;

async function rows(statement: string): Promise<Row[]> {
  return (await client.execute(statement)).rows as unknown as Row[];
}

/** A drizzle default as SQLite reports it in PRAGMA table_info (`dflt_value`). */
function defaultText(value: unknown): string | null {
  if (value === undefined) return null;
  if (is(value, SQL)) return dialect.sqlToQuery(value).sql;
  return typeof value === "string" ? `'${value}'` : String(value);
}

/** The columns of `table` as drizzle declares them, in PRAGMA table_info's shape. */
function declaredColumns(table: SQLiteTable) {
  const config = getTableConfig(table);
  const compositeKey = config.primaryKeys[0]?.columns.map((column) => column.name) ?? [];
  return config.columns
    .map((column) => ({
      name: column.name,
      type: column.getSQLType().toLowerCase(),
      notnull: column.notNull || column.primary ? 1 : 0,
      dflt_value: defaultText(column.default),
      pk: column.primary ? 1 : compositeKey.indexOf(column.name) + 1,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function actualColumns(name: string) {
  const info = await rows(`PRAGMA table_info(${name})`);
  return info
    .map((column) => ({
      name: column.name,
      type: String(column.type).toLowerCase(),
      // SQLite reports an INTEGER PRIMARY KEY as nullable; drizzle (rightly) as not null.
      notnull: Number(column.notnull) || (Number(column.pk) > 0 ? 1 : 0),
      dflt_value: column.dflt_value ?? null,
      pk: Number(column.pk),
    }))
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

/** Named indexes: `name unique? (columns) where?`. */
function declaredIndexes(table: SQLiteTable): string[] {
  return getTableConfig(table)
    .indexes.map(({ config }) => {
      const columns = config.columns.map((column) => ("name" in column ? column.name : "?")).join(",");
      const where = config.where ? ` where ${dialect.sqlToQuery(config.where).sql}` : "";
      return `${config.name} ${config.unique ? "unique" : "index"} (${columns})${where}`;
    })
    .sort();
}

async function actualIndexes(name: string): Promise<string[]> {
  const list = await rows(`PRAGMA index_list(${name})`);
  const named = list.filter((index) => index.origin === "c");
  const described: string[] = [];
  for (const index of named) {
    const columns = (await rows(`PRAGMA index_info(${index.name})`)).map((column) => column.name).join(",");
    const [definition] = await rows(
      `SELECT sql FROM sqlite_master WHERE type = 'index' AND name = '${index.name}'`,
    );
    const where = /\bWHERE\s+(.*)$/is.exec(String(definition?.sql))?.[1]?.trim();
    described.push(
      `${index.name} ${index.unique ? "unique" : "index"} (${columns})${where ? ` where ${where}` : ""}`,
    );
  }
  return described.sort();
}

/** Column sets under a UNIQUE constraint (inline or table-level), whatever their names. */
function declaredUniques(table: SQLiteTable): string[] {
  const config = getTableConfig(table);
  const inline = config.columns.filter((column) => column.isUnique).map((column) => column.name);
  const tableLevel = config.uniqueConstraints.map((constraint) =>
    constraint.columns.map((c) => c.name).join(","),
  );
  return [...inline, ...tableLevel].sort();
}

async function actualUniques(name: string): Promise<string[]> {
  const list = await rows(`PRAGMA index_list(${name})`);
  const sets: string[] = [];
  for (const index of list.filter((entry) => entry.origin === "u")) {
    sets.push((await rows(`PRAGMA index_info(${index.name})`)).map((column) => column.name).join(","));
  }
  return sets.sort();
}

function declaredForeignKeys(table: SQLiteTable): string[] {
  return getTableConfig(table)
    .foreignKeys.map((key) => {
      const reference = key.reference();
      const to = getTableConfig(reference.foreignTable).name;
      return `${reference.columns.map((c) => c.name).join(",")} -> ${to}(${reference.foreignColumns.map((c) => c.name).join(",")})`;
    })
    .sort();
}

async function actualForeignKeys(name: string): Promise<string[]> {
  return (await rows(`PRAGMA foreign_key_list(${name})`))
    .map((key) => `${key.from} -> ${key.table}(${key.to})`)
    .sort();
}

describe("the drizzle schema and the migrated database", () => {
  it("have the same tables", async () => {
    const actual = await rows(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'",
    );
    const declared = tables.map((table) => getTableConfig(table).name).sort();
    expect(declared.length).toBeGreaterThan(30);
    expect(declared).toEqual(actual.map((row) => String(row.name)).sort());
  });

  it.each(tables.map((table) => [getTableConfig(table).name, table] as const))(
    "agree on %s",
    async (name, table) => {
      expect(declaredColumns(table)).toEqual(await actualColumns(name));
      expect(declaredIndexes(table)).toEqual(await actualIndexes(name));
      expect(declaredUniques(table)).toEqual(await actualUniques(name));
      expect(declaredForeignKeys(table)).toEqual(await actualForeignKeys(name));
    },
  );
});

describe("drizzle-kit generate", () => {
  it("finds nothing to generate from the committed migrations", () => {
    const scratch = mkdtempSync(join(tmpdir(), "db-generate-"));
    try {
      const out = join(scratch, "migrations");
      cpSync(migrationsFolder, out, { recursive: true });
      // drizzle-kit joins `out` onto the working directory, so it is given relative to the project.
      const config = join(scratch, "drizzle.config.ts");
      writeFileSync(
        config,
        `export default ${JSON.stringify({
          dialect: "turso",
          schema: "./src/kit/db/schema.ts",
          out: relative(projectRoot, out),
          dbCredentials: { url: `file:${join(scratch, "unused.db")}` },
        })};\n`,
      );
      const output = execFileSync("npx", ["drizzle-kit", "generate", "--config", config], {
        cwd: projectRoot,
        encoding: "utf8",
      });
      expect(output).toContain("No schema changes");
      expect(readdirSync(out).sort()).toEqual(readdirSync(migrationsFolder).sort());
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 120_000);
});
