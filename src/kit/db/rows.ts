/**
 * Rows read with hand-written SQL, decoded by the drizzle schema: each value goes through its
 * column's own driver mapping (`minorUnits` → bigint, `int` → number, `text` → string, JSON
 * text → value), so no store converts a column by hand. Queries stay plain SQL strings because
 * they are batched with the ledger's statements in one round trip; the table decides the types.
 */
import type { Row } from "@libsql/client";
import { type Column, getTableColumns, getTableName, type InferSelectModel } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { InvariantError } from "../errors";

type RawRow = Row | Record<string, unknown>;

function decodeValue(column: Column, raw: unknown): unknown {
  if (raw === null) return null;
  // drizzle's plain `integer` column maps nothing; the client hands INTEGERs over as bigint.
  if (column.columnType === "SQLiteInteger" && typeof raw === "bigint") return Number(raw);
  return column.mapFromDriverValue(raw);
}

/** One row of `table` holding every column under its SQL name (`SELECT *`), in the table's typed shape. */
export function decodeRow<T extends SQLiteTable>(table: T, row: RawRow): InferSelectModel<T> {
  const decoded: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const raw = row[column.name];
    if (raw === undefined) {
      throw new InvariantError(`A row of ${getTableName(table)} was read without its column ${column.name}`);
    }
    decoded[key] = decodeValue(column, raw);
  }
  return decoded as InferSelectModel<T>;
}

/** Some columns of `table` from a row that selected them under their SQL names (a projection or a join). */
export function decodeColumns<T extends SQLiteTable, K extends keyof InferSelectModel<T> & string>(
  table: T,
  row: RawRow,
  keys: readonly K[],
): Pick<InferSelectModel<T>, K> {
  const columns = getTableColumns(table) as Record<string, Column>;
  const decoded: Record<string, unknown> = {};
  for (const key of keys) {
    const column = columns[key];
    const raw = column === undefined ? undefined : row[column.name];
    if (column === undefined || raw === undefined) {
      throw new InvariantError(`A row of ${getTableName(table)} was read without its column ${key}`);
    }
    decoded[key] = decodeValue(column, raw);
  }
  return decoded as Pick<InferSelectModel<T>, K>;
}
