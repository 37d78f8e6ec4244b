/**
 * Synchronous work on one libSQL connection: opening it, binding Hrana arguments, running one
 * statement into a Hrana StmtResult, describing a statement, and mapping SQLite errors to Hrana
 * errors. Everything here is synchronous (the `libsql` API is); waiting for locks is the caller's
 * job (see `isBusyError`).
 */
import libsql from "libsql";
import type {
  LibsqlDatabase,
  LibsqlDatabaseConstructor,
  LibsqlSqliteError,
  LibsqlStatement,
  SqlValue,
} from "./libsql-types.ts";
import { CONNECTION_BUSY_TIMEOUT_MS, STMT_RESULT_BYTES_MAX } from "./limits.ts";
import {
  type DescribeResultJson,
  HranaError,
  type NamedArg,
  type StmtResultJson,
  type ValueJson,
  valueToJson,
} from "./protocol.ts";
import type { SqlStatement } from "./sql-text.ts";

const Database = libsql as unknown as LibsqlDatabaseConstructor;

/** One database connection of a stream. */
export interface Connection {
  readonly db: LibsqlDatabase;
  /** `SELECT total_changes(), changes(), last_insert_rowid()`, prepared once. */
  readonly meta: LibsqlStatement;
  /** total_changes() after the last statement run through `runStatement`, if known. */
  totalChanges: bigint | undefined;
  /** Inside a `BEGIN READONLY` transaction, enforced with `PRAGMA query_only` until it ends. */
  readonlyTransaction: boolean;
}

/** Opens a connection with foreign keys on, safe (BigInt) integers and a zero busy timeout. */
export function openConnection(file: string): Connection {
  const db = new Database(file, { timeout: CONNECTION_BUSY_TIMEOUT_MS });
  try {
    db.defaultSafeIntegers(true);
    db.exec(
      `PRAGMA busy_timeout = ${CONNECTION_BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;`,
    );
    const meta = db.prepare("SELECT total_changes(), changes(), last_insert_rowid()").raw(true);
    return { db, meta, totalChanges: undefined, readonlyTransaction: false };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Rolls back any open transaction and closes the connection; never throws. */
export function closeConnection(conn: Connection): void {
  try {
    if (conn.db.inTransaction) conn.db.exec("ROLLBACK");
  } catch {
    // closing discards the transaction anyway
  }
  try {
    conn.db.close();
  } catch {
    // already closed
  }
}

/**
 * Runs an already prepared statement to its end and returns its rows. Leaving a statement unfinished
 * (e.g. `return` inside `for…of`: the binding's iterator has no `return()`) keeps it active, which
 * pins a read snapshot and defers autocommit commits on that connection.
 */
export function allRows(stmt: LibsqlStatement, params: readonly SqlValue[]): unknown[][] {
  return [...stmt.iterate(params)] as unknown[][];
}

function readMeta(conn: Connection): { total: bigint; changes: bigint; rowid: bigint } {
  const [row] = allRows(conn.meta, []);
  if (row === undefined) throw new HranaError("Could not read the change counters", "INTERNAL_ERROR");
  const [total, changes, rowid] = row as [bigint, bigint, bigint];
  return { total, changes, rowid };
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

const PRIMARY_CODE_NAMES: readonly string[] = [
  "SQLITE_OK",
  "SQLITE_ERROR",
  "SQLITE_INTERNAL",
  "SQLITE_PERM",
  "SQLITE_ABORT",
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "SQLITE_NOMEM",
  "SQLITE_READONLY",
  "SQLITE_INTERRUPT",
  "SQLITE_IOERR",
  "SQLITE_CORRUPT",
  "SQLITE_NOTFOUND",
  "SQLITE_FULL",
  "SQLITE_CANTOPEN",
  "SQLITE_PROTOCOL",
  "SQLITE_EMPTY",
  "SQLITE_SCHEMA",
  "SQLITE_TOOBIG",
  "SQLITE_CONSTRAINT",
  "SQLITE_MISMATCH",
  "SQLITE_MISUSE",
  "SQLITE_NOLFS",
  "SQLITE_AUTH",
  "SQLITE_FORMAT",
  "SQLITE_RANGE",
  "SQLITE_NOTADB",
];

function isSqliteError(error: unknown): error is LibsqlSqliteError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
}

/**
 * SQLite's step returns "database is locked" (SQLITE_BUSY*) WITHOUT halting the statement: it stays
 * active, counted as a pending writer, until it is reset. The native binding cannot reset a statement
 * without running it again, and while one stays active the connection can neither autocommit nor
 * COMMIT (later writes silently stay uncommitted, holding the write lock).
 */
function leavesStatementActive(error: unknown): boolean {
  return (
    isSqliteError(error) && error.code.startsWith("SQLITE_BUSY") && !error.message.includes("in progress")
  );
}

/**
 * Halts a statement left active by SQLITE_BUSY: runs it once more with `PRAGMA query_only` on, which
 * makes any write fail with SQLITE_READONLY before it touches a lock or a row (reads are harmless).
 */
function haltAfterBusy(conn: Connection, prepared: LibsqlStatement, bound: readonly SqlValue[]): void {
  const [row] = allRows(conn.db.prepare("PRAGMA query_only").raw(true), []);
  const previous = row?.[0] === 1n ? 1 : 0;
  conn.db.exec("PRAGMA query_only = 1");
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        if (prepared.reader) allRows(prepared, bound);
        else prepared.run(bound);
        return;
      } catch (error) {
        if (!leavesStatementActive(error)) return;
      }
    }
  } finally {
    conn.db.exec(`PRAGMA query_only = ${previous}`);
  }
}

/** SQLITE_BUSY (not BUSY_SNAPSHOT, which only a rollback cures): worth retrying later. */
export function isBusyError(error: unknown): boolean {
  if (!isSqliteError(error)) return false;
  if (
    error.code !== "SQLITE_BUSY" &&
    error.code !== "SQLITE_BUSY_RECOVERY" &&
    error.code !== "SQLITE_BUSY_TIMEOUT"
  ) {
    return false;
  }
  // "cannot commit transaction - SQL statements in progress" is SQLITE_BUSY too, but waiting won't help.
  return !error.message.includes("in progress");
}

/**
 * Maps anything thrown while executing to a Hrana error. SQLite errors get the primary result code
 * as `code` (as sqld does, e.g. `SQLITE_CONSTRAINT`) and the extended one alongside.
 */
export function toHranaError(error: unknown): HranaError {
  if (error instanceof HranaError) return error;
  if (isSqliteError(error)) {
    const rawCode = typeof error.rawCode === "number" ? error.rawCode : undefined;
    const fromRaw = rawCode === undefined ? undefined : PRIMARY_CODE_NAMES[rawCode & 0xff];
    const primary =
      fromRaw ?? (error.code.startsWith("SQLITE_") ? error.code.split("_", 2).join("_") : "SQLITE_ERROR");
    return new HranaError(`SQLite error: ${error.message}`, primary, error.code, rawCode);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new HranaError(`SQLite error: ${message}`, "SQLITE_ERROR");
}

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

function argsInvalid(message: string): HranaError {
  return new HranaError(`Arguments do not match SQL parameters: ${message}`, "ARGS_INVALID");
}

function checkBindable(value: SqlValue, what: string): SqlValue {
  if (typeof value === "string" && value.includes("\u0000")) {
    // The native binding would silently cut the text at the NUL.
    throw argsInvalid(`${what}: text containing a NUL character is not supported by this server`);
  }
  return value;
}

/**
 * Turns positional and named arguments into one array indexed like the statement's parameters.
 * Named arguments win over positional ones; a name may be given with or without its `:`/`@`/`$`.
 * Missing or unexpected arguments are errors, as the Hrana spec says; only an index no token refers
 * to (a gap below some `?NNN`) defaults to NULL.
 */
export function bindArguments(
  stmt: Pick<SqlStatement, "params" | "referenced">,
  args: readonly SqlValue[],
  namedArgs: readonly NamedArg[],
): SqlValue[] {
  const { params, referenced } = stmt;
  if (args.length > params.length) {
    throw argsInvalid(
      `${args.length} positional arguments given, the statement has ${params.length} parameters`,
    );
  }
  const named = new Map<string, SqlValue>();
  for (const arg of namedArgs) named.set(arg.name, arg.value);
  const usedNames = new Set<string>();
  const bound: SqlValue[] = [];
  for (let i = 0; i < params.length; i++) {
    const name = params[i] ?? null;
    const label = name ?? `?${i + 1}`;
    let value: SqlValue | undefined;
    if (name !== null && !name.startsWith("?")) {
      const key = named.has(name) ? name : named.has(name.slice(1)) ? name.slice(1) : undefined;
      if (key !== undefined) {
        value = named.get(key);
        usedNames.add(key);
      }
    }
    if (value === undefined && i < args.length) value = args[i];
    if (value === undefined) {
      if (referenced[i] === true) throw argsInvalid(`no value for parameter ${label}`);
      value = null;
    }
    bound.push(checkBindable(value, label));
  }
  for (const arg of namedArgs) {
    if (!usedNames.has(arg.name)) throw argsInvalid(`the statement has no parameter named ${arg.name}`);
  }
  return bound;
}

// ---------------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------------

function estimateJsonBytes(value: ValueJson): number {
  switch (value.type) {
    case "text":
      return 30 + value.value.length * 2;
    case "blob":
      return 30 + value.base64.length;
    default:
      return 40;
  }
}

/** Prepares and runs one statement, returning its Hrana result. Throws (SQLite errors unconverted). */
export function runStatement(
  conn: Connection,
  stmt: SqlStatement,
  args: readonly SqlValue[],
  namedArgs: readonly NamedArg[],
  wantRows: boolean,
): StmtResultJson {
  const bound = bindArguments(stmt, args, namedArgs);
  const before = conn.totalChanges ?? readMeta(conn).total;
  conn.totalChanges = undefined; // unknown until this statement has finished
  try {
    const prepared = conn.db.prepare(stmt.sql);
    try {
      const result = collectResult(conn, prepared, bound, wantRows, before);
      if (stmt.isBeginReadonly && conn.db.inTransaction && !conn.readonlyTransaction) {
        // The embedded engine accepts libSQL's BEGIN READONLY but does not enforce it (sqld does).
        conn.db.exec("PRAGMA query_only = 1");
        conn.readonlyTransaction = true;
      }
      return result;
    } catch (error) {
      if (leavesStatementActive(error)) haltAfterBusy(conn, prepared, bound);
      throw error;
    }
  } finally {
    if (conn.readonlyTransaction && !conn.db.inTransaction) {
      conn.db.exec("PRAGMA query_only = 0");
      conn.readonlyTransaction = false;
    }
  }
}

function collectResult(
  conn: Connection,
  prepared: LibsqlStatement,
  bound: readonly SqlValue[],
  wantRows: boolean,
  before: bigint,
): StmtResultJson {
  const cols: StmtResultJson["cols"] = [];
  const rows: ValueJson[][] = [];
  if (prepared.reader) {
    prepared.raw(true);
    for (const col of prepared.columns()) cols.push({ name: col.name, decltype: col.type ?? null });
    let bytes = 0;
    let tooLarge = false;
    // Always iterate to the end: an unfinished statement would keep the connection busy.
    for (const row of prepared.iterate(bound)) {
      if (!wantRows || tooLarge) continue;
      const values = (row as unknown[]).map(valueToJson);
      for (const v of values) bytes += estimateJsonBytes(v);
      if (bytes > STMT_RESULT_BYTES_MAX) {
        tooLarge = true;
        rows.length = 0;
        continue;
      }
      rows.push(values);
    }
    if (tooLarge) {
      throw new HranaError(
        `Response is too large: the rows of one statement may take at most ${STMT_RESULT_BYTES_MAX} bytes`,
        "RESPONSE_TOO_LARGE",
      );
    }
  } else {
    prepared.run(bound);
  }
  const after = readMeta(conn);
  conn.totalChanges = after.total;
  return {
    cols,
    rows,
    // changes() keeps the count of the last INSERT/UPDATE/DELETE, so report it only if this one changed rows.
    affected_row_count: after.total !== before ? Number(after.changes) : 0,
    last_insert_rowid: after.rowid.toString(),
  };
}

/** Describes one statement: parameters, result columns, EXPLAIN, read-only (as sqlite3_stmt_readonly). */
export function describeStatement(conn: Connection, stmt: SqlStatement): DescribeResultJson {
  const prepared = conn.db.prepare(stmt.sql);
  const cols = prepared.reader
    ? prepared.columns().map((c) => ({ name: c.name, decltype: c.type ?? null }))
    : [];
  let isReadonly = true;
  if (!stmt.isExplain) {
    // The bytecode tells what sqlite3_stmt_readonly() would: a write transaction, VACUUM or journal_mode change.
    const program = conn.db.prepare(`EXPLAIN ${stmt.sql}`).raw(true);
    for (const row of allRows(
      program,
      stmt.params.map(() => null),
    )) {
      const [, opcode, , p2] = row as [unknown, string, unknown, bigint];
      if ((opcode === "Transaction" && p2 !== 0n) || opcode === "Vacuum" || opcode === "JournalMode") {
        isReadonly = false;
      }
    }
  }
  return {
    params: stmt.params.map((name) => ({ name })),
    cols,
    is_explain: stmt.isExplain,
    is_readonly: isReadonly,
  };
}
