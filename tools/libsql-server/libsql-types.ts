/**
 * The part of the `libsql` npm package (0.5.x) this server uses, typed as it behaves at run time.
 * The package ships better-sqlite3 typings that promise more than its native binding implements
 * (`readonly`, `serialize`, …), so the server goes through these narrower interfaces instead.
 *
 * Traps of the native binding found while writing the server (each one aborts the whole process
 * or corrupts data, so callers must avoid them):
 * - binding a boolean, or binding an object when the statement has a nameless `?`, panics;
 * - text bound with an embedded NUL is cut at the NUL;
 * - reading a TEXT value that is not valid UTF-8 panics (nothing here can prevent it);
 * - `run()` on a statement that returns rows leaves it active, which later makes COMMIT fail with
 *   "SQL statements in progress": readers must be iterated to the end instead (so must `iterate()`
 *   loops: leaving one early with `return`/`break` does not reset the statement);
 * - a statement that fails with SQLITE_BUSY also stays active, and there is no `reset()`: while it
 *   lives, writes on that connection never commit (see `haltAfterBusy` in engine.ts);
 * - `close()` does not free the native connection while statement objects are alive (GC does),
 *   so transactions must be rolled back explicitly before closing.
 */

/** A value as bound to / read from the native binding with safe integers on. */
export type SqlValue = null | bigint | number | string | Uint8Array;

export interface LibsqlColumn {
  readonly name: string;
  readonly type: string | null;
}

export interface LibsqlRunResult {
  readonly changes: number;
  readonly lastInsertRowid: number | bigint;
}

export interface LibsqlStatement {
  /** True if the statement returns rows (has result columns). */
  readonly reader: boolean;
  /** Rows as arrays instead of objects; throws for statements that return no rows. */
  raw(toggle?: boolean): LibsqlStatement;
  /** Pass the parameters as ONE array argument (positional binding by index). */
  run(params: readonly SqlValue[]): LibsqlRunResult;
  iterate(params: readonly SqlValue[]): IterableIterator<unknown>;
  columns(): LibsqlColumn[];
}

export interface LibsqlDatabase {
  readonly inTransaction: boolean;
  prepare(sql: string): LibsqlStatement;
  exec(sql: string): void;
  defaultSafeIntegers(toggle?: boolean): LibsqlDatabase;
  close(): void;
}

export interface LibsqlDatabaseConstructor {
  new (path: string, options?: { timeout?: number }): LibsqlDatabase;
}

/** Error thrown by the native binding for SQLite failures. */
export interface LibsqlSqliteError extends Error {
  /** Extended result code name, e.g. `SQLITE_CONSTRAINT_CHECK`. */
  readonly code: string;
  /** Extended result code number, e.g. 275. */
  readonly rawCode?: number;
}
