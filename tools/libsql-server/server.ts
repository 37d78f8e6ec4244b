/**
 * A local libSQL server speaking Hrana v2 over HTTP (JSON), the protocol `@libsql/client/web`
 * uses, on top of the embedded `libsql` engine. For development and tests on 127.0.0.1 only.
 *
 * Endpoints: `POST /v2/pipeline`, `GET /v2` (version probe, 200), `GET /health`, `GET /version`,
 * `GET /`. Hrana 3 endpoints (`/v3`, `/v3-protobuf`, cursors) answer 404 so a client that probes
 * for them falls back to v2 JSON. (`@libsql/client` 0.18 does not probe: it uses v2 directly.)
 *
 * Each stream (baton) owns one connection, so interactive transactions span HTTP requests. The
 * `libsql` API is synchronous: connections use busy_timeout 0 and a statement that meets
 * SQLITE_BUSY is retried after an asynchronous pause (woken early when another stream of this
 * server ends its transaction), so the event loop never waits inside SQLite.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, resolve } from "node:path";
import {
  allRows,
  type Connection,
  closeConnection,
  describeStatement,
  isBusyError,
  openConnection,
  runStatement,
  toHranaError,
} from "./engine.ts";
import {
  BUSY_RETRY_DELAY_MAX_MS,
  BUSY_RETRY_DELAY_MIN_MS,
  BUSY_TIMEOUT_MS,
  CONNECTION_BUSY_TIMEOUT_MS,
  REQUEST_BODY_BYTES_MAX,
  SHUTDOWN_GRACE_MS,
  SQL_TEXT_CHARS_MAX,
  STORED_SQL_CHARS_PER_STREAM_MAX,
  STORED_SQL_PER_STREAM_MAX,
  STREAM_IDLE_MS,
  STREAMS_MAX,
} from "./limits.ts";
import {
  type BatchCond,
  type BatchResultJson,
  type BatchStep,
  errorJson,
  HranaError,
  type PipelineResponseJson,
  ProtocolError,
  parsePipelineBody,
  type StmtReq,
  type StreamRequest,
  type StreamResponseJson,
  type StreamResultJson,
} from "./protocol.ts";
import { type SqlStatement, splitStatements } from "./sql-text.ts";

export interface LibsqlServerOptions {
  /** Database file (created if missing, parent directories too). `:memory:` is refused. */
  file: string;
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Only loopback is supported. */
  host?: "127.0.0.1";
  requestBodyBytesMax?: number;
  streamsMax?: number;
  streamIdleMs?: number;
  busyTimeoutMs?: number;
}

export interface LibsqlServer {
  /** Base URL for `createClient({ url })`, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting requests, rolls back and closes every stream, closes the server and the database. */
  close(): Promise<void>;
}

export const SERVER_NAME = "tfgrid-market local libsql-server (Hrana v2 over HTTP)";

interface Stream {
  readonly id: number;
  baton: string | null;
  conn: Connection | null;
  readonly sqls: Map<number, string>;
  sqlChars: number;
  idleTimer: NodeJS.Timeout | undefined;
  closed: boolean;
}

/**
 * Statements waiting for the write lock, oldest ticket first. When a stream of this server may have
 * released the lock it wakes only the oldest waiter, which passes the turn on once it is done
 * without holding the lock (no thundering herd). Each waiter also wakes on its own backoff timer,
 * which covers locks held by other processes.
 */
class LockQueue {
  private nextTicket = 0;
  private readonly waiters: { readonly ticket: number; readonly wake: () => void }[] = [];

  ticket(): number {
    return this.nextTicket++;
  }

  wait(ticket: number, ms: number): Promise<void> {
    return new Promise((resolvePromise) => {
      const waiter = {
        ticket,
        wake: (): void => {
          clearTimeout(timer);
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          resolvePromise();
        },
      };
      const timer = setTimeout(waiter.wake, ms);
      let at = this.waiters.length;
      while (at > 0 && (this.waiters[at - 1]?.ticket ?? -1) > ticket) at--;
      this.waiters.splice(at, 0, waiter);
    });
  }

  wakeNext(): void {
    this.waiters[0]?.wake();
  }

  wakeAll(): void {
    for (const waiter of [...this.waiters]) waiter.wake();
  }
}

/** Analysed SQL texts, shared by all streams (the analysis depends on the text only). */
const ANALYSIS_CACHE_ENTRIES_MAX = 512;
const ANALYSIS_CACHE_SQL_CHARS_MAX = 16 * 1024;
const analysisCache = new Map<string, SqlStatement[]>();

function analyse(sql: string): SqlStatement[] {
  const cached = analysisCache.get(sql);
  if (cached !== undefined) return cached;
  const statements = splitStatements(sql);
  if (sql.length <= ANALYSIS_CACHE_SQL_CHARS_MAX) {
    if (analysisCache.size >= ANALYSIS_CACHE_ENTRIES_MAX) {
      const oldest = analysisCache.keys().next();
      if (oldest.done !== true) analysisCache.delete(oldest.value);
    }
    analysisCache.set(sql, statements);
  }
  return statements;
}

function singleStatement(sql: string): SqlStatement {
  const statements = analyse(sql);
  const [first] = statements;
  if (first === undefined)
    throw new HranaError("SQL string does not contain any statement", "SQL_NO_STATEMENT");
  if (statements.length > 1) {
    throw new HranaError("SQL string contains more than one statement", "SQL_MANY_STATEMENTS");
  }
  return first;
}

function checkSqlText(sql: string): void {
  if (sql.length > SQL_TEXT_CHARS_MAX) {
    throw new HranaError(`SQL text is longer than ${SQL_TEXT_CHARS_MAX} characters`, "SQL_TOO_LONG");
  }
  if (sql.includes("\u0000")) {
    // SQLite (and the native binding) would silently ignore everything after it.
    throw new HranaError("SQL text contains a NUL character", "SQL_PARSE_ERROR");
  }
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

function sendJson(res: ServerResponse, status: number, body: unknown, close = false): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    // exactly "application/json": the client compares the content type literally to decode errors
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  };
  if (close) headers.connection = "close";
  res.writeHead(status, headers);
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, code: string, close = false): void {
  sendJson(res, status, { message, code }, close);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    "content-type": "text/plain",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

type BodyResult = { ok: true; body: Buffer } | { ok: false };

/** Reads the body up to `max` bytes; beyond that answers 413 at once and discards the rest. */
function readBody(req: IncomingMessage, res: ServerResponse, max: number): Promise<BodyResult> {
  return new Promise((resolvePromise, reject) => {
    const tooLarge = (): void => {
      sendError(res, 413, `Request body is larger than ${max} bytes`, "REQUEST_TOO_LARGE", true);
      resolvePromise({ ok: false });
    };
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > max) {
      req.resume();
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!over) resolvePromise({ ok: true, body: Buffer.concat(chunks, size) });
    });
    req.on("error", reject);
  });
}

interface RetryState {
  readonly deadline: number;
  delay: number;
  /** Place in the lock queue, taken at the first SQLITE_BUSY. */
  ticket: number | undefined;
}

const RETRY: unique symbol = Symbol("retry");

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Starts the server; resolves once it listens. */
export async function startLibsqlServer(options: LibsqlServerOptions): Promise<LibsqlServer> {
  if (options.host !== undefined && options.host !== "127.0.0.1") {
    throw new RangeError("libsql-server binds 127.0.0.1 only");
  }
  if (options.file === "" || options.file === ":memory:" || options.file.startsWith("file::memory:")) {
    throw new RangeError("libsql-server needs a database file: every stream opens its own connection");
  }
  const file = resolve(options.file);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError("port must be 0–65535");
  const bodyBytesMax = positiveInt(
    options.requestBodyBytesMax,
    REQUEST_BODY_BYTES_MAX,
    "requestBodyBytesMax",
  );
  const streamsMax = positiveInt(options.streamsMax, STREAMS_MAX, "streamsMax");
  const streamIdleMs = positiveInt(options.streamIdleMs, STREAM_IDLE_MS, "streamIdleMs");
  const busyTimeoutMs = positiveInt(options.busyTimeoutMs, BUSY_TIMEOUT_MS, "busyTimeoutMs");

  mkdirSync(dirname(file), { recursive: true });
  // A connection held for the server's lifetime: switches the file to WAL (persistent) and answers /health.
  const keeper = openConnection(file);
  try {
    // Blocking here is fine: nothing is served yet. Another process may briefly hold the file.
    keeper.db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    const [mode] = allRows(keeper.db.prepare("PRAGMA journal_mode = WAL").raw(true), []);
    if (mode?.[0] !== "wal")
      throw new Error(`Could not switch ${file} to WAL mode (got ${String(mode?.[0])})`);
    keeper.db.exec(`PRAGMA busy_timeout = ${CONNECTION_BUSY_TIMEOUT_MS}`);
  } catch (error) {
    closeConnection(keeper);
    throw error;
  }

  const streams = new Set<Stream>();
  const batons = new Map<string, Stream>();
  const lockQueue = new LockQueue();
  const inflight = new Set<Promise<void>>();
  let nextStreamId = 1;
  let closing = false;
  let closePromise: Promise<void> | undefined;

  function closeStream(stream: Stream): void {
    if (stream.closed) return;
    stream.closed = true;
    clearTimeout(stream.idleTimer);
    if (stream.baton !== null) batons.delete(stream.baton);
    stream.baton = null;
    streams.delete(stream);
    stream.sqls.clear();
    if (stream.conn !== null) {
      const heldTransaction = stream.conn.db.inTransaction;
      closeConnection(stream.conn);
      stream.conn = null;
      if (heldTransaction) lockQueue.wakeNext();
    }
  }

  function connectionOf(stream: Stream): Connection {
    if (stream.closed) throw new HranaError("The stream is closed", "STREAM_CLOSED");
    if (stream.conn === null) stream.conn = openConnection(file);
    return stream.conn;
  }

  /**
   * Runs `work` on the stream's connection. Synchronous when the database is not locked (so a batch
   * runs in one go, holding the write lock for as short as possible); otherwise retries
   * asynchronously until `busyTimeoutMs`.
   */
  function withConnection<T>(stream: Stream, work: (conn: Connection) => T): T | Promise<T> {
    const retry: RetryState = {
      deadline: Date.now() + busyTimeoutMs,
      delay: BUSY_RETRY_DELAY_MIN_MS,
      ticket: undefined,
    };
    const first = attempt(stream, work, retry);
    return first === RETRY ? retryLater(stream, work, retry) : first;
  }

  async function retryLater<T>(stream: Stream, work: (conn: Connection) => T, retry: RetryState): Promise<T> {
    for (;;) {
      retry.ticket ??= lockQueue.ticket();
      const jittered = retry.delay * (0.5 + Math.random() / 2);
      await lockQueue.wait(retry.ticket, Math.max(0, Math.min(retry.deadline - Date.now(), jittered)));
      retry.delay = Math.min(retry.delay * 2, BUSY_RETRY_DELAY_MAX_MS);
      const result = attempt(stream, work, retry);
      if (result !== RETRY) return result;
    }
  }

  /** One try: the result, RETRY (locked, wait and try again), or throws. */
  function attempt<T>(stream: Stream, work: (conn: Connection) => T, retry: RetryState): T | typeof RETRY {
    if (closing) throw new HranaError("The server is shutting down", "SERVER_SHUTTING_DOWN");
    const conn = connectionOf(stream);
    const inTransactionBefore = conn.db.inTransaction;
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: work(conn) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    const inTransactionAfter = conn.db.inTransaction;
    const waitAgain =
      !outcome.ok &&
      isBusyError(outcome.error) &&
      // SQLite may have rolled the whole transaction back: the statement must not run again outside it.
      inTransactionAfter === inTransactionBefore &&
      Date.now() < retry.deadline;
    // Ended a transaction, or was a waiter and holds nothing now: let the next waiter try.
    if (!waitAgain && !inTransactionAfter && (inTransactionBefore || retry.ticket !== undefined)) {
      lockQueue.wakeNext();
    }
    if (outcome.ok) return outcome.value;
    if (!waitAgain) throw outcome.error;
    return RETRY;
  }

  function resolveSql(stream: Stream, sql: string | undefined, sqlId: number | undefined): string {
    if (sql !== undefined) {
      checkSqlText(sql);
      return sql;
    }
    const stored = sqlId === undefined ? undefined : stream.sqls.get(sqlId);
    if (stored === undefined)
      throw new HranaError(`SQL text ${sqlId} is not stored on this stream`, "SQL_NOT_FOUND");
    return stored;
  }

  function executeStmt(stream: Stream, stmt: StmtReq) {
    const statement = singleStatement(resolveSql(stream, stmt.sql, stmt.sqlId));
    return withConnection(stream, (conn) =>
      runStatement(conn, statement, stmt.args, stmt.namedArgs, stmt.wantRows),
    );
  }

  function evalCond(
    cond: BatchCond,
    outcomes: readonly ("ok" | "error" | "skipped")[],
    stream: Stream,
  ): boolean {
    switch (cond.type) {
      case "ok":
        return outcomes[cond.step] === "ok";
      case "error":
        return outcomes[cond.step] === "error";
      case "not":
        return !evalCond(cond.cond, outcomes, stream);
      case "and":
        return cond.conds.every((c) => evalCond(c, outcomes, stream));
      case "or":
        return cond.conds.some((c) => evalCond(c, outcomes, stream));
      case "is_autocommit":
        return !connectionOf(stream).db.inTransaction;
    }
  }

  function checkCondSteps(cond: BatchCond, stepIndex: number): void {
    switch (cond.type) {
      case "ok":
      case "error":
        if (cond.step >= stepIndex) {
          throw new HranaError(
            `Batch step ${stepIndex} has a condition on step ${cond.step}, which does not run before it`,
            "BATCH_COND_BAD_STEP",
          );
        }
        return;
      case "not":
        checkCondSteps(cond.cond, stepIndex);
        return;
      case "and":
      case "or":
        for (const c of cond.conds) checkCondSteps(c, stepIndex);
        return;
      case "is_autocommit":
        return;
    }
  }

  async function executeBatch(stream: Stream, steps: readonly BatchStep[]): Promise<BatchResultJson> {
    steps.forEach((step, i) => {
      if (step.condition !== undefined) checkCondSteps(step.condition, i);
    });
    const result: BatchResultJson = { step_results: [], step_errors: [] };
    const outcomes: ("ok" | "error" | "skipped")[] = [];
    for (const step of steps) {
      if (step.condition !== undefined && !evalCond(step.condition, outcomes, stream)) {
        outcomes.push("skipped");
        result.step_results.push(null);
        result.step_errors.push(null);
        continue;
      }
      try {
        const stepResult = executeStmt(stream, step.stmt);
        // Await only when the step had to wait for a lock: `await` on a plain value would let other
        // requests run in the middle of this batch.
        result.step_results.push(stepResult instanceof Promise ? await stepResult : stepResult);
        result.step_errors.push(null);
        outcomes.push("ok");
      } catch (error) {
        if (stream.closed || closing) throw error;
        result.step_results.push(null);
        result.step_errors.push(errorJson(toHranaError(error)));
        outcomes.push("error");
      }
    }
    return result;
  }

  async function executeSequence(stream: Stream, sql: string): Promise<void> {
    for (const statement of analyse(sql)) {
      const done = withConnection(stream, (conn) => runStatement(conn, statement, [], [], false));
      if (done instanceof Promise) await done;
    }
  }

  async function handleRequest(stream: Stream, request: StreamRequest): Promise<StreamResponseJson> {
    if (stream.closed) throw new HranaError("The stream is closed", "STREAM_CLOSED");
    switch (request.type) {
      case "close":
        closeStream(stream);
        return { type: "close" };
      case "execute":
        return { type: "execute", result: await executeStmt(stream, request.stmt) };
      case "batch":
        return { type: "batch", result: await executeBatch(stream, request.steps) };
      case "sequence":
        await executeSequence(stream, resolveSql(stream, request.sql, request.sqlId));
        return { type: "sequence" };
      case "describe": {
        const statement = singleStatement(resolveSql(stream, request.sql, request.sqlId));
        return {
          type: "describe",
          result: await withConnection(stream, (c) => describeStatement(c, statement)),
        };
      }
      case "store_sql": {
        checkSqlText(request.sql);
        if (stream.sqls.has(request.sqlId)) {
          throw new HranaError(
            `SQL text ${request.sqlId} is already stored on this stream`,
            "SQL_STORE_EXISTS",
          );
        }
        if (stream.sqls.size >= STORED_SQL_PER_STREAM_MAX) {
          throw new HranaError(
            `The stream already stores ${stream.sqls.size} SQL texts, it cannot store more`,
            "SQL_STORE_TOO_MANY",
          );
        }
        if (stream.sqlChars + request.sql.length > STORED_SQL_CHARS_PER_STREAM_MAX) {
          throw new HranaError(
            `Stored SQL texts of a stream may total at most ${STORED_SQL_CHARS_PER_STREAM_MAX} characters`,
            "SQL_STORE_TOO_MANY",
          );
        }
        stream.sqls.set(request.sqlId, request.sql);
        stream.sqlChars += request.sql.length;
        return { type: "store_sql" };
      }
      case "close_sql": {
        const sql = stream.sqls.get(request.sqlId);
        if (sql !== undefined) {
          stream.sqls.delete(request.sqlId);
          stream.sqlChars -= sql.length;
        }
        return { type: "close_sql" };
      }
      case "get_autocommit":
        return {
          type: "get_autocommit",
          is_autocommit: stream.conn === null || !stream.conn.db.inTransaction,
        };
    }
  }

  function expireStream(stream: Stream): void {
    closeStream(stream);
  }

  async function handlePipeline(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const contentType = req.headers["content-type"] ?? "";
    if (contentType !== "" && !contentType.toLowerCase().startsWith("application/json")) {
      req.resume();
      sendError(
        res,
        415,
        "This server speaks Hrana over HTTP with JSON bodies only",
        "UNSUPPORTED_MEDIA_TYPE",
      );
      return;
    }
    const body = await readBody(req, res, bodyBytesMax);
    if (!body.ok) return;
    let parsed: ReturnType<typeof parsePipelineBody>;
    try {
      let json: unknown;
      try {
        json = JSON.parse(utf8.decode(body.body));
      } catch (error) {
        throw new ProtocolError(
          `Request body is not valid JSON: ${(error as Error).message}`,
          "JSON_INVALID",
        );
      }
      parsed = parsePipelineBody(json);
    } catch (error) {
      if (error instanceof ProtocolError) {
        sendError(res, 400, error.message, error.code);
        return;
      }
      throw error;
    }
    if (closing) {
      sendError(res, 503, "The server is shutting down", "SERVER_SHUTTING_DOWN", true);
      return;
    }

    let stream: Stream;
    if (parsed.baton === null) {
      if (streams.size >= streamsMax) {
        sendError(res, 503, `Too many open streams (at most ${streamsMax})`, "STREAMS_EXHAUSTED");
        return;
      }
      stream = {
        id: nextStreamId++,
        baton: null,
        conn: null,
        sqls: new Map(),
        sqlChars: 0,
        idleTimer: undefined,
        closed: false,
      };
      streams.add(stream);
    } else {
      const found = batons.get(parsed.baton);
      if (found === undefined) {
        sendError(
          res,
          400,
          "The baton is unknown, or its stream has expired or was closed",
          "STREAM_EXPIRED",
        );
        return;
      }
      stream = found;
      // A baton is good for one request: taking it out also serialises requests on the stream.
      batons.delete(parsed.baton);
      stream.baton = null;
      clearTimeout(stream.idleTimer);
    }

    const results: StreamResultJson[] = [];
    try {
      for (const request of parsed.requests) {
        try {
          results.push({ type: "ok", response: await handleRequest(stream, request) });
        } catch (error) {
          if (!(error instanceof HranaError) && !isSqliteLike(error)) {
            console.error("libsql-server: unexpected error", error);
          }
          results.push({ type: "error", error: errorJson(toHranaError(error)) });
        }
      }
    } finally {
      if (!stream.closed) {
        if (closing) {
          closeStream(stream);
        } else {
          const baton = `${stream.id}.${randomBytes(24).toString("base64url")}`;
          stream.baton = baton;
          batons.set(baton, stream);
          stream.idleTimer = setTimeout(() => expireStream(stream), streamIdleMs);
          stream.idleTimer.unref();
        }
      }
    }
    const response: PipelineResponseJson = { baton: stream.baton, base_url: null, results };
    sendJson(res, 200, response);
  }

  function isSqliteLike(error: unknown): boolean {
    return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    const method = req.method ?? "GET";
    const isGet = method === "GET" || method === "HEAD";
    if (path === "/v2/pipeline") {
      if (method === "POST") return handlePipeline(req, res);
      req.resume();
      return sendError(res, 405, "Use POST for /v2/pipeline", "METHOD_NOT_ALLOWED");
    }
    req.resume();
    if (isGet && (path === "/v2" || path === "/")) return sendText(res, 200, `${SERVER_NAME}\n`);
    if (isGet && path === "/version") return sendText(res, 200, `${SERVER_NAME}\n`);
    if (isGet && path === "/health") {
      try {
        allRows(keeper.db.prepare("SELECT 1").raw(true), []);
        return sendJson(res, closing ? 503 : 200, {
          status: closing ? "closing" : "ok",
          streams: streams.size,
        });
      } catch (error) {
        return sendJson(res, 503, { status: "error", message: toHranaError(error).message });
      }
    }
    // Hrana 3 (/v3, /v3-protobuf, cursors) and v1 are not implemented: 404 makes clients use v2.
    return sendError(res, 404, `Not found: ${method} ${path}`, "NOT_FOUND");
  }

  const server = createServer((req, res) => {
    const task = route(req, res)
      .catch((error: unknown) => {
        console.error("libsql-server: request failed", error);
        if (!res.headersSent) sendError(res, 500, "Internal server error", "INTERNAL_ERROR", true);
        else res.destroy();
      })
      .finally(() => {
        inflight.delete(task);
      });
    inflight.add(task);
  });

  await new Promise<void>((resolvePromise, reject) => {
    const onError = (error: Error): void => {
      closeConnection(keeper);
      reject(error);
    };
    server.once("error", onError);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", onError);
      resolvePromise();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;

  async function shutdown(): Promise<void> {
    closing = true;
    const serverClosed = new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
    server.closeIdleConnections();
    lockQueue.wakeAll(); // statements waiting for a lock give up now
    if (inflight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inflight]),
        new Promise<void>((r) => {
          timer = setTimeout(r, SHUTDOWN_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    for (const stream of [...streams]) closeStream(stream);
    server.closeAllConnections();
    await serverClosed;
    try {
      // Fold the WAL into the database file so a stopped server leaves a self-contained file. The first
      // pass may report busy (the keeper's own old read mark) after copying every frame; the second
      // then truncates. If another process is still reading, the WAL stays and is replayed on next open.
      for (let pass = 0; pass < 2; pass++) {
        const [row] = allRows(keeper.db.prepare("PRAGMA wal_checkpoint(TRUNCATE)").raw(true), []);
        if (row?.[0] === 0n) break;
      }
    } catch {
      // the database stays consistent without the checkpoint
    }
    closeConnection(keeper);
  }

  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    close(): Promise<void> {
      closePromise ??= shutdown();
      return closePromise;
    },
  };
}
