/**
 * Where the CLI finds its service and key: flags, then the environment (`TFGRID_URL`,
 * `TFGRID_API_KEY`), then the config file (`TFGRID_CONFIG`, default
 * `~/.config/tfgrid/config.json`), then the local default URL.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "./errors.js";

/** The service `npm run dev` starts. */
export const defaultBaseUrl = "http://127.0.0.1:8787";

/** The config file's fields, all optional. */
export type CliConfig = {
  /** The service's origin. */
  readonly url?: string;
  /** An API key `tfm_…`. */
  readonly apiKey?: string;
  /** The account `balance` and `leases list` use when none is named. */
  readonly accountId?: string;
  /** The owner the key belongs to (the farmer `earnings` reports on when none is named). */
  readonly ownerId?: string;
};

const configFields = ["url", "apiKey", "accountId", "ownerId"] as const;

/** The config file's path from the environment. */
export function configPath(env: Readonly<Record<string, string | undefined>>, homeDirectory: string): string {
  const explicit = env.TFGRID_CONFIG;
  if (explicit !== undefined && explicit !== "") return explicit;
  const base = env.XDG_CONFIG_HOME || join(homeDirectory, ".config");
  return join(base, "tfgrid", "config.json");
}

/**
 * Reads the config file. A missing default file is an empty config; a missing file named by
 * `TFGRID_CONFIG`, unreadable JSON or a field of the wrong type is a usage error.
 */
export function readConfig(path: string, explicit: boolean): CliConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (!explicit && (error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new UsageError(`cannot read the config file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`the config file ${path} is not valid JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`the config file ${path} must hold a JSON object`);
  }
  const record = parsed as Record<string, unknown>;
  const config: Record<string, string> = {};
  for (const field of configFields) {
    const value = record[field];
    if (value === undefined) continue;
    if (typeof value !== "string") throw new UsageError(`${field} in ${path} must be a string`);
    config[field] = value;
  }
  return config;
}

/** The settings in force for one run. */
export type Settings = {
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  readonly config: CliConfig;
};

/** Flags over the environment over the config file over the default. */
export function resolveSettings(
  flags: { url?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
  homeDirectory: string,
): Settings {
  const explicit = env.TFGRID_CONFIG !== undefined && env.TFGRID_CONFIG !== "";
  const config = readConfig(configPath(env, homeDirectory), explicit);
  const baseUrl = flags.url || env.TFGRID_URL || config.url || defaultBaseUrl;
  if (!/^https?:\/\/[^\s]+$/.test(baseUrl)) throw new UsageError(`not an http(s) URL: ${baseUrl}`);
  const apiKey = env.TFGRID_API_KEY || config.apiKey || undefined;
  return { baseUrl, apiKey, config };
}
