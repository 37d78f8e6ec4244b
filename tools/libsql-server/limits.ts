/** Limits and timings of the local libSQL server. Each one is a named constant; the unit is the last word. */

/** Largest accepted request body; a larger one is answered with HTTP 413. */
export const REQUEST_BODY_BYTES_MAX = 10 * 1024 * 1024;

/** Streams (batons, each with its own database connection) open at the same time; beyond it: HTTP 503. */
export const STREAMS_MAX = 128;

/** A stream unused for this long is closed and its open transaction rolled back. */
export const STREAM_IDLE_MS = 10_000;

/** How long a statement keeps retrying while another connection holds the write lock, before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5_000;

/**
 * busy_timeout of every stream connection. Zero: a locked database returns SQLITE_BUSY at once and the
 * server retries asynchronously, so the event loop never sleeps inside SQLite.
 */
export const CONNECTION_BUSY_TIMEOUT_MS = 0;

/**
 * First and largest pause between two attempts of a statement that met SQLITE_BUSY (doubling, jittered).
 * A lock released by this server wakes the oldest waiter at once; the pause matters for other processes.
 */
export const BUSY_RETRY_DELAY_MIN_MS = 2;
export const BUSY_RETRY_DELAY_MAX_MS = 100;

/** Longest SQL text accepted in one statement, sequence, describe or store_sql (UTF-16 code units). */
export const SQL_TEXT_CHARS_MAX = 4 * 1024 * 1024;

/** SQL texts a stream may keep with store_sql, by count and by total length (UTF-16 code units). */
export const STORED_SQL_PER_STREAM_MAX = 128;
export const STORED_SQL_CHARS_PER_STREAM_MAX = 16 * 1024 * 1024;

/** Estimated size of the rows one statement may return before it fails with RESPONSE_TOO_LARGE. */
export const STMT_RESULT_BYTES_MAX = 64 * 1024 * 1024;

/** Nesting depth of batch conditions (`not`/`and`/`or`) accepted in a request. */
export const BATCH_COND_DEPTH_MAX = 64;

/** On close(), how long in-flight requests may take to finish before their streams are closed under them. */
export const SHUTDOWN_GRACE_MS = 2_000;
