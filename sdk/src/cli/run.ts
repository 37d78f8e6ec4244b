/**
 * The `tfgrid` command line: finds the command, parses its flags (node:util parseArgs), calls the
 * API through the SDK and prints a table or `--json`. Exit codes: 0 ok, 1 the API refused (its
 * problem details printed), 2 a usage error, 3 the service was unreachable or could not answer.
 * Everything it touches comes in as arguments, so tests run it in-process with a fake fetch.
 */
import { parseArgs } from "node:util";
import { createClient, NetworkError, ProblemError } from "../index.js";
import type { Command, OptionSpec } from "./command.js";
import { leasesList, leasesReserve, leasesShow } from "./commands/leases.js";
import { marketSearch } from "./commands/market.js";
import { accountsShow, auctionsBid, balance, earnings } from "./commands/money.js";
import { nodesPrice, nodesRegister, nodesShow } from "./commands/nodes.js";
import { resolveSettings } from "./config.js";
import { exitCodes, UsageError } from "./errors.js";

export const commands: readonly Command[] = [
  marketSearch,
  leasesReserve,
  leasesList,
  leasesShow,
  nodesRegister,
  nodesPrice,
  nodesShow,
  earnings,
  balance,
  accountsShow,
  auctionsBid,
];

/** Flags every command takes. */
const globalOptions: Readonly<Record<string, OptionSpec & { short?: string }>> = {
  json: { type: "boolean", description: "print JSON instead of a table" },
  url: {
    type: "string",
    placeholder: "URL",
    description: "the service (default: TFGRID_URL, config, http://127.0.0.1:8787)",
  },
  help: { type: "boolean", short: "h", description: "show help" },
};

export type CliIo = { readonly stdout: (text: string) => void; readonly stderr: (text: string) => void };

export type CliEnvironment = {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDirectory: string;
  /** The fetch the client uses (default: the global one). */
  readonly fetch?: (request: Request) => Promise<Response>;
};

function optionLine(name: string, option: OptionSpec): string {
  const flag = option.type === "boolean" ? `--${name}` : `--${name} ${option.placeholder ?? "VALUE"}`;
  return `  ${flag.padEnd(28)} ${option.description}`;
}

function commandUsage(command: Command): string {
  return ["tfgrid", ...command.words, ...command.arguments, "[options]"].join(" ");
}

/** Help for one command, or the list of commands. */
export function helpText(command?: Command): string {
  if (command !== undefined) {
    return [
      `usage: ${commandUsage(command)}`,
      "",
      command.summary,
      "",
      "options:",
      ...Object.entries(command.options).map(([name, option]) => optionLine(name, option)),
      ...Object.entries(globalOptions).map(([name, option]) => optionLine(name, option)),
    ].join("\n");
  }
  return [
    "usage: tfgrid <command> [arguments] [options]",
    "",
    "commands:",
    ...commands.map(
      (entry) => `  ${[...entry.words, ...entry.arguments].join(" ").padEnd(34)} ${entry.summary}`,
    ),
    "",
    "environment: TFGRID_API_KEY, TFGRID_URL, TFGRID_CONFIG (default ~/.config/tfgrid/config.json)",
    "exit codes: 0 ok, 1 refused by the API, 2 usage error, 3 service unreachable or failing (5xx)",
    "`tfgrid <command> --help` shows a command's options.",
  ].join("\n");
}

/** The command named by the first words of `args` (the longest match), and the rest. */
function findCommand(args: readonly string[]): { command: Command; rest: string[] } | undefined {
  for (const length of [2, 1]) {
    const words = args.slice(0, length);
    const command = commands.find(
      (entry) => entry.words.length === length && entry.words.every((word, index) => word === words[index]),
    );
    if (command !== undefined) return { command, rest: args.slice(length) };
  }
  return undefined;
}

/** A refusal as a person reads it: title, code, status, detail, each field (with its flag), request id. */
export function problemText(error: ProblemError, flagOf?: (field: string) => string | undefined): string {
  const lines = [`error: ${error.title} (${error.code}, HTTP ${error.status})`, `  ${error.detail}`];
  for (const field of error.errors) {
    const flag = flagOf?.(field.field);
    lines.push(`  - ${field.field}${flag === undefined ? "" : ` (${flag})`}: ${field.detail}`);
  }
  if (error.retryAfterSeconds !== null) lines.push(`  retry after ${error.retryAfterSeconds} s`);
  if (error.requestId !== null) lines.push(`  request id: ${error.requestId}`);
  return lines.join("\n");
}

function parse(command: Command, rest: string[]) {
  const options = Object.fromEntries(
    Object.entries({ ...command.options, ...globalOptions }).map(([name, option]) => [
      name,
      { type: option.type, ...("short" in option && option.short ? { short: option.short } : {}) },
    ]),
  ) as Record<string, { type: "string" | "boolean"; short?: string }>;
  try {
    return parseArgs({ args: rest, options, allowPositionals: true, allowNegative: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function execute(
  command: Command,
  rest: string[],
  io: CliIo,
  environment: CliEnvironment,
): Promise<number> {
  const { values, positionals } = parse(command, rest);
  if (values.help === true) {
    io.stdout(helpText(command));
    return exitCodes.ok;
  }
  const required = command.arguments.filter((name) => name.startsWith("<")).length;
  if (positionals.length < required || positionals.length > command.arguments.length) {
    throw new UsageError(`expected ${command.arguments.join(" ") || "no arguments"}`);
  }
  const settings = resolveSettings(
    { url: values.url as string | undefined },
    environment.env,
    environment.homeDirectory,
  );
  if (command.needsKey && settings.apiKey === undefined) {
    throw new UsageError("this command needs an API key: set TFGRID_API_KEY or apiKey in the config file");
  }
  const client = createClient({
    baseUrl: settings.baseUrl,
    apiKey: settings.apiKey,
    fetch: environment.fetch,
  });
  const json = values.json === true;
  try {
    const output = await command.run({ client, values, positionals, settings });
    io.stdout(json ? JSON.stringify(output.json, null, 2) : output.text);
    for (const note of output.notes ?? []) io.stderr(note);
    return exitCodes.ok;
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    io.stderr(json ? JSON.stringify(error.problem, null, 2) : problemText(error, command.flagOf));
    return error.status >= 500 ? exitCodes.unreachable : exitCodes.refused;
  }
}

/** Runs `tfgrid` with `args` (without the program name) and returns its exit code. */
export async function runCli(
  args: readonly string[],
  io: CliIo,
  environment: CliEnvironment,
): Promise<number> {
  if (args.length === 0 || args[0] === "help" || args[0] === "--help" || args[0] === "-h") {
    (args.length === 0 ? io.stderr : io.stdout)(helpText());
    return args.length === 0 ? exitCodes.usage : exitCodes.ok;
  }
  const found = findCommand(args);
  if (found === undefined) {
    io.stderr(`error: unknown command: ${args.slice(0, 2).join(" ")}\n\n${helpText()}`);
    return exitCodes.usage;
  }
  try {
    return await execute(found.command, found.rest, io, environment);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\nusage: ${commandUsage(found.command)} (--help for options)`);
      return exitCodes.usage;
    }
    if (error instanceof NetworkError) {
      io.stderr(`error: the service did not answer: ${error.message}`);
      return exitCodes.unreachable;
    }
    throw error;
  }
}
