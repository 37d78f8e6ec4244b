/** The shape of a CLI command and the helpers commands share to read their arguments. */
import type { TfgridClient } from "../index.js";
import type { Settings } from "./config.js";
import { UsageError } from "./errors.js";

/** Parsed flag values (strings or booleans), by flag name without dashes. */
export type Values = Readonly<Record<string, string | boolean | undefined>>;

export type OptionSpec = {
  readonly type: "string" | "boolean";
  /** What to show after the flag in help, e.g. `GB`; booleans have none. */
  readonly placeholder?: string;
  readonly description: string;
};

export type CommandContext = {
  readonly client: TfgridClient;
  readonly values: Values;
  /** The positional arguments after the command's words, in order. */
  readonly positionals: readonly string[];
  readonly settings: Settings;
};

/** What a command prints: `json` with `--json`, else `text`; `notes` go to standard error. */
export type Output = { readonly json: unknown; readonly text: string; readonly notes?: readonly string[] };

export type Command = {
  /** `["market", "search"]`, or one word (`["balance"]`). */
  readonly words: readonly string[];
  /** Positional arguments as help shows them: `<node>`, `[account]` (optional). */
  readonly arguments: readonly string[];
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Whether the command needs an API key (public routes do not). */
  readonly needsKey: boolean;
  /** The flag or argument an API field came from, so refusals name what the user typed. */
  readonly flagOf?: (field: string) => string | undefined;
  run(context: CommandContext): Promise<Output>;
};

/** A string flag, or undefined. */
export function stringFlag(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/** A string flag that must be given. */
export function requiredFlag(values: Values, name: string): string {
  const value = stringFlag(values, name);
  if (value === undefined || value === "") throw new UsageError(`--${name} is required`);
  return value;
}

/** A whole-number flag within [min, max], or undefined when absent. */
export function integerFlag(values: Values, name: string, min: number, max: number): number | undefined {
  const value = stringFlag(values, name);
  if (value === undefined) return undefined;
  const number = /^[0-9]{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!(number >= min && number <= max))
    throw new UsageError(`--${name} takes a whole number from ${min} to ${max}`);
  return number;
}

/** The positional at `index`, named `name` in messages. */
export function positional(context: CommandContext, index: number, name: string): string {
  const value = context.positionals[index];
  if (value === undefined || value === "") throw new UsageError(`missing ${name}`);
  return value;
}

/** A flag's value, else a config field, else a usage error naming both. */
export function flagOrConfig(
  values: Values,
  flag: string,
  configured: string | undefined,
  configField: string,
): string {
  const value = stringFlag(values, flag) ?? configured;
  if (value === undefined || value === "") {
    throw new UsageError(`--${flag} is required (or set ${configField} in the config file)`);
  }
  return value;
}

/** Field → flag lookups from a fixed map (`slices` → `--slices`). */
export function flagsFrom(map: Readonly<Record<string, string>>): (field: string) => string | undefined {
  return (field) => map[field];
}
