#!/usr/bin/env node
/** The `tfgrid` executable: runs the CLI on the process's arguments and environment. */
import { homedir } from "node:os";
import { runCli } from "./run.js";

const io = {
  stdout: (text: string) => process.stdout.write(`${text}\n`),
  stderr: (text: string) => process.stderr.write(`${text}\n`),
};

try {
  process.exitCode = await runCli(process.argv.slice(2), io, { env: process.env, homeDirectory: homedir() });
} catch (error) {
  // A bug of the CLI itself, not a refusal: show everything.
  io.stderr(
    `tfgrid: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exitCode = 1;
}
