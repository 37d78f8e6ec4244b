/**
 * Starts the local libSQL server (Hrana v2 over HTTP) on 127.0.0.1.
 *
 *   node tools/libsql-server/cli.ts --file .data/dev.db --port 8080
 *   npm run libsql -- --file .data/dev.db --port 8080
 *
 * Prints one line `libsql-server: listening on <url> (file <path>)`, and stops cleanly on SIGINT /
 * SIGTERM (open transactions rolled back, connections and database closed).
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { BUSY_TIMEOUT_MS, REQUEST_BODY_BYTES_MAX, STREAM_IDLE_MS, STREAMS_MAX } from "./limits.ts";
import { startLibsqlServer } from "./server.ts";

const DEFAULT_FILE = ".data/dev.db";
const DEFAULT_PORT = 8080;

const USAGE = `Usage: node tools/libsql-server/cli.ts [options]

  --file <path>              database file (default ${DEFAULT_FILE}; created with its directory)
  --port <n>                 TCP port on 127.0.0.1, 0 = any free port (default ${DEFAULT_PORT})
  --body-bytes-max <n>       largest request body in bytes (default ${REQUEST_BODY_BYTES_MAX})
  --streams-max <n>          streams open at once (default ${STREAMS_MAX})
  --stream-idle-ms <n>       idle stream timeout in ms, its transaction is rolled back (default ${STREAM_IDLE_MS})
  --busy-timeout-ms <n>      how long a statement waits for a lock in ms (default ${BUSY_TIMEOUT_MS})
  -h, --help                 show this help
`;

function fail(message: string): never {
  process.stderr.write(`libsql-server: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function integer(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min)
    fail(`--${name} must be an integer ≥ ${min}`);
  return n;
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions();
  } catch (error) {
    fail((error as Error).message);
  }
  const { values } = parsed;
  if (values.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  const file = resolve(values.file ?? DEFAULT_FILE);
  const options: Parameters<typeof startLibsqlServer>[0] = {
    file,
    port: integer(values.port, "port", 0) ?? DEFAULT_PORT,
  };
  const bodyBytesMax = integer(values["body-bytes-max"], "body-bytes-max", 1);
  const streamsMax = integer(values["streams-max"], "streams-max", 1);
  const streamIdleMs = integer(values["stream-idle-ms"], "stream-idle-ms", 1);
  const busyTimeoutMs = integer(values["busy-timeout-ms"], "busy-timeout-ms", 1);
  if (bodyBytesMax !== undefined) options.requestBodyBytesMax = bodyBytesMax;
  if (streamsMax !== undefined) options.streamsMax = streamsMax;
  if (streamIdleMs !== undefined) options.streamIdleMs = streamIdleMs;
  if (busyTimeoutMs !== undefined) options.busyTimeoutMs = busyTimeoutMs;

  const server = await startLibsqlServer(options);
  process.stdout.write(`libsql-server: listening on ${server.url} (file ${file})\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`libsql-server: ${signal} again, exiting without waiting\n`);
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`libsql-server: ${signal}, shutting down\n`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`libsql-server: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

function parseOptions() {
  return parseArgs({
    options: {
      file: { type: "string" },
      port: { type: "string" },
      "body-bytes-max": { type: "string" },
      "streams-max": { type: "string" },
      "stream-idle-ms": { type: "string" },
      "busy-timeout-ms": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`libsql-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
