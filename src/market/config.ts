/**
 * The marketplace's configuration, read from the Worker's vars (wrangler.toml [vars]) with the
 * spec's defaults: the market parameters of ECONOMICS §1 (src/market/core/parameters.ts), the
 * band currency (§20 Q7), the funding rules of leases (prepaid window, top-up threshold,
 * grace) and how leases on nodes with an agent are charged (from its `running` report or from
 * acceptance; the provisioning timeout). A malformed value throws at first use: configuration errors are bugs, not requests.
 */

import { hourMs } from "../kit/clock";
import {
  type BandCurrency,
  defaultMarketParameters,
  type MarketParameters,
  validateMarketParameters,
} from "./core/parameters";

/** Milliseconds in one hour. */
export { hourMs };

export type MarketConfig = {
  /** Slice, band, income and split factors (defaults: the spec's V1 values). */
  readonly parameters: MarketParameters;
  /**
   * How much running time a lease's hold covers when it is placed or topped up: a new lease (or
   * a bid) holds price × slices × this much of the user's CC (default 24 h).
   */
  readonly prepaidWindowMs: number;
  /** A lease is topped up by another window when what its holds still cover falls below this (default 12 h). */
  readonly topUpBelowMs: number;
  /** A lease that cannot be paid is paused this long before its slices are reclaimed (default 24 h). */
  readonly graceMs: number;
  /** A hold expires this long after the time it was meant to cover (default 24 h). */
  readonly holdSlackMs: number;
  /**
   * An online node that has sent no heartbeat (or, before its first, was registered) this long
   * ago is taken offline by the cron, pausing its leases uncharged, until a heartbeat (default 3 h).
   */
  readonly heartbeatTimeoutMs: number;
  /**
   * On a node with an agent (a `node` key), when a lease starts being charged: when the agent
   * reports it `running` (default), or at `acceptance` as on a node without one.
   */
  readonly chargeFrom: "running" | "acceptance";
  /**
   * A lease on a node with an agent that is still `provisioning` this long after the node was
   * handed it is cancelled and its hold released (default 30 minutes).
   */
  readonly provisioningTimeoutMs: number;
};

type MarketVars = {
  MARKET_BAND_CURRENCY?: string;
  MARKET_PARAMETERS?: string;
  MARKET_PREPAID_HOURS?: string;
  MARKET_TOP_UP_BELOW_HOURS?: string;
  MARKET_GRACE_HOURS?: string;
  MARKET_HEARTBEAT_TIMEOUT_HOURS?: string;
  MARKET_CHARGE_FROM?: string;
  MARKET_PROVISIONING_TIMEOUT_MINUTES?: string;
};

/** Most hours any of the hour settings may name: 30 days. */
export const configHoursMax = 720;

function hours(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined || text === "") return fallback * hourMs;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > configHoursMax) {
    throw new Error(`${name} must be a whole number of hours from 1 to ${configHoursMax}, got ${text}`);
  }
  return value * hourMs;
}

/** Most minutes `MARKET_PROVISIONING_TIMEOUT_MINUTES` may name: 7 days. */
export const provisioningTimeoutMinutesMax = 7 * 24 * 60;

function provisioningTimeoutMs(text: string | undefined): number {
  if (text === undefined || text === "") return 30 * 60_000;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > provisioningTimeoutMinutesMax) {
    throw new Error(
      `MARKET_PROVISIONING_TIMEOUT_MINUTES must be a whole number of minutes from 1 to ${provisioningTimeoutMinutesMax}, got ${text}`,
    );
  }
  return value * 60_000;
}

function chargeFrom(text: string | undefined): "running" | "acceptance" {
  if (text === undefined || text === "" || text === "running") return "running";
  if (text === "acceptance") return "acceptance";
  throw new Error(`MARKET_CHARGE_FROM must be running or acceptance, got ${text}`);
}

const cache = new Map<string, MarketConfig>();

/**
 * The configuration for these vars. `MARKET_PARAMETERS` is a JSON object of MarketParameters
 * fields overriding the defaults (validated as a whole); `MARKET_BAND_CURRENCY` (USD or CC)
 * overrides its `bandCurrency`.
 */
export function marketConfig(vars: MarketVars): MarketConfig {
  const key = JSON.stringify([
    vars.MARKET_BAND_CURRENCY,
    vars.MARKET_PARAMETERS,
    vars.MARKET_PREPAID_HOURS,
    vars.MARKET_TOP_UP_BELOW_HOURS,
    vars.MARKET_GRACE_HOURS,
    vars.MARKET_HEARTBEAT_TIMEOUT_HOURS,
    vars.MARKET_CHARGE_FROM,
    vars.MARKET_PROVISIONING_TIMEOUT_MINUTES,
  ]);
  const known = cache.get(key);
  if (known) return known;
  const overrides =
    vars.MARKET_PARAMETERS === undefined || vars.MARKET_PARAMETERS.trim() === ""
      ? {}
      : (JSON.parse(vars.MARKET_PARAMETERS) as Partial<MarketParameters>);
  const currency = vars.MARKET_BAND_CURRENCY;
  const parameters: MarketParameters = {
    ...defaultMarketParameters,
    ...overrides,
    ...(currency === undefined || currency === "" ? {} : { bandCurrency: currency as BandCurrency }),
  };
  const valid = validateMarketParameters(parameters);
  if (!valid.ok) throw new Error(`market parameters: ${valid.detail}`);
  const prepaidWindowMs = hours(vars.MARKET_PREPAID_HOURS, 24, "MARKET_PREPAID_HOURS");
  const topUpBelowMs = hours(vars.MARKET_TOP_UP_BELOW_HOURS, 12, "MARKET_TOP_UP_BELOW_HOURS");
  if (topUpBelowMs > prepaidWindowMs) {
    throw new Error("MARKET_TOP_UP_BELOW_HOURS must not exceed MARKET_PREPAID_HOURS");
  }
  const config: MarketConfig = Object.freeze({
    parameters: valid.value,
    prepaidWindowMs,
    topUpBelowMs,
    graceMs: hours(vars.MARKET_GRACE_HOURS, 24, "MARKET_GRACE_HOURS"),
    holdSlackMs: 24 * hourMs,
    heartbeatTimeoutMs: hours(vars.MARKET_HEARTBEAT_TIMEOUT_HOURS, 3, "MARKET_HEARTBEAT_TIMEOUT_HOURS"),
    chargeFrom: chargeFrom(vars.MARKET_CHARGE_FROM),
    provisioningTimeoutMs: provisioningTimeoutMs(vars.MARKET_PROVISIONING_TIMEOUT_MINUTES),
  });
  cache.set(key, config);
  return config;
}
