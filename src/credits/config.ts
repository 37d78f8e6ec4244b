/**
 * Cloud Credits configuration, read from the Worker's env (wrangler.toml `[vars]`, secrets set
 * with `wrangler secret put`). Every value has the spec's default (ECONOMICS §1) and is validated
 * here once: a bad value is a deployment error, so it throws (a logged 500), never a silent default.
 */
import { z } from "zod";
import { invariant } from "../kit/errors";
import { defaultPegParameters, type PegParameters } from "../oracle/core/peg";

/** Longest and shortest a card checkout quote may be valid: 1 minute … 24 hours. */
export const checkoutQuoteTtlSecondsMin = 60;
export const checkoutQuoteTtlSecondsMax = 86_400;
/** Default: 30 minutes, the shortest expiry Stripe allows a Checkout Session. */
export const checkoutQuoteTtlSecondsDefault = 1_800;
/** Longest and shortest a conversion quote holds its rate: 5 seconds … 10 minutes. */
export const conversionQuoteTtlSecondsMin = 5;
export const conversionQuoteTtlSecondsMax = 600;
export const conversionQuoteTtlSecondsDefault = 30;

/** The env variables this area reads (all optional; see README "Configuration"). */
export type CreditsEnv = {
  readonly PEG_TFT_PER_CC_FIXED?: string | undefined;
  readonly PEG_UNLOCK_THRESHOLD?: string | undefined;
  readonly CC_TO_TFP_ENTRY_ENABLED?: string | undefined;
  readonly CC_TO_TFP_MARKET_ENABLED?: string | undefined;
  readonly CHECKOUT_QUOTE_TTL_SECONDS?: string | undefined;
  readonly CONVERSION_QUOTE_TTL_SECONDS?: string | undefined;
  readonly STRIPE_SECRET_KEY?: string | undefined;
  readonly STRIPE_API_BASE?: string | undefined;
  readonly CHECKOUT_SUCCESS_URL?: string | undefined;
  readonly CHECKOUT_CANCEL_URL?: string | undefined;
};

export type CreditsConfig = {
  /**
   * The peg's parameters. `ccToTfpEnabled` here is the Pool 2 (market price) switch for earned
   * CC → TFP, which the spec makes two-way (§7.1): on by default.
   */
  readonly peg: PegParameters;
  /** Pool 1 (fixed rate) CC → TFP: the reverse of entry, off by default (§6.1 "one-way"). */
  readonly entryCcToTfpEnabled: boolean;
  readonly checkoutQuoteTtlMs: number;
  readonly conversionQuoteTtlMs: number;
};

const flag = (fallback: boolean) =>
  z
    .enum(["true", "false"])
    .optional()
    .transform((text) => (text === undefined ? fallback : text === "true"));

const seconds = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,6}$/)
    .optional()
    .transform((text) => (text === undefined ? fallback : Number(text)))
    .pipe(z.number().int().min(min).max(max));

const envSchema = z.object({
  PEG_TFT_PER_CC_FIXED: z
    .string()
    .regex(/^[1-9][0-9]{0,3}(\.[0-9]{1,6})?$/, "a positive decimal such as 2")
    .optional(),
  PEG_UNLOCK_THRESHOLD: z.enum(["fixed_rate", "cc_usd"]).optional(),
  CC_TO_TFP_ENTRY_ENABLED: flag(false),
  CC_TO_TFP_MARKET_ENABLED: flag(true),
  CHECKOUT_QUOTE_TTL_SECONDS: seconds(
    checkoutQuoteTtlSecondsMin,
    checkoutQuoteTtlSecondsMax,
    checkoutQuoteTtlSecondsDefault,
  ),
  CONVERSION_QUOTE_TTL_SECONDS: seconds(
    conversionQuoteTtlSecondsMin,
    conversionQuoteTtlSecondsMax,
    conversionQuoteTtlSecondsDefault,
  ),
});

/** Reads and validates the Cloud Credits configuration; throws on a malformed value. */
export function creditsConfig(env: CreditsEnv): CreditsConfig {
  const parsed = envSchema.safeParse({
    PEG_TFT_PER_CC_FIXED: env.PEG_TFT_PER_CC_FIXED,
    PEG_UNLOCK_THRESHOLD: env.PEG_UNLOCK_THRESHOLD,
    CC_TO_TFP_ENTRY_ENABLED: env.CC_TO_TFP_ENTRY_ENABLED,
    CC_TO_TFP_MARKET_ENABLED: env.CC_TO_TFP_MARKET_ENABLED,
    CHECKOUT_QUOTE_TTL_SECONDS: env.CHECKOUT_QUOTE_TTL_SECONDS,
    CONVERSION_QUOTE_TTL_SECONDS: env.CONVERSION_QUOTE_TTL_SECONDS,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    invariant(false, `Cloud Credits configuration ${issue?.path.join(".")}: ${issue?.message}`);
  }
  const value = parsed.data;
  return {
    peg: {
      ...defaultPegParameters,
      tftPerCcFixed: value.PEG_TFT_PER_CC_FIXED ?? defaultPegParameters.tftPerCcFixed,
      unlockThreshold: value.PEG_UNLOCK_THRESHOLD ?? defaultPegParameters.unlockThreshold,
      ccToTfpEnabled: value.CC_TO_TFP_MARKET_ENABLED,
    },
    entryCcToTfpEnabled: value.CC_TO_TFP_ENTRY_ENABLED,
    checkoutQuoteTtlMs: value.CHECKOUT_QUOTE_TTL_SECONDS * 1000,
    conversionQuoteTtlMs: value.CONVERSION_QUOTE_TTL_SECONDS * 1000,
  };
}

/** The webhook secrets in force: the current one first, then the previous one during rotation. */
export function webhookSecrets(current: string | undefined, previous: string | undefined): string[] {
  return [current, previous].filter((secret): secret is string => secret !== undefined && secret.length > 0);
}

/** Card checkout through Stripe Checkout (`POST /v1/credits/checkout`), when a secret key is set. */
export type StripeCheckoutConfig = {
  /** STRIPE_SECRET_KEY (a secret: `wrangler secret put STRIPE_SECRET_KEY`), `sk_…` or a restricted `rk_…`. */
  readonly secretKey: string;
  /** STRIPE_API_BASE: another address for Stripe's API (a local stand-in in tests); null: api.stripe.com. */
  readonly api: { readonly protocol: "http" | "https"; readonly host: string; readonly port: number } | null;
  /**
   * Where Stripe sends the payer after paying, and after giving up (CHECKOUT_SUCCESS_URL,
   * CHECKOUT_CANCEL_URL); `{QUOTE_ID}` is replaced by the quote's id and `{CHECKOUT_SESSION_ID}` by
   * Stripe. Null: the dashboard of the service that answered (`<origin>/?checkout=success&quote=…`).
   */
  readonly successUrl: string | null;
  readonly cancelUrl: string | null;
};

/** Longest success or cancel URL accepted (Stripe's own limit is 5,000 characters). */
export const checkoutUrlCharsMax = 2_000;

const webUrl = z
  .string()
  .max(checkoutUrlCharsMax)
  .regex(/^https?:\/\/[^\s]+$/, "an http(s) URL")
  .optional();

const stripeEnvSchema = z.object({
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_[A-Za-z0-9_]{8,250}$/, "a Stripe secret key (sk_…) or restricted key (rk_…)")
    .optional(),
  STRIPE_API_BASE: z
    .string()
    .regex(/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?\/?$/, "a base URL such as http://127.0.0.1:12111")
    .optional(),
  CHECKOUT_SUCCESS_URL: webUrl,
  CHECKOUT_CANCEL_URL: webUrl,
});

/**
 * The Stripe Checkout configuration, or null when STRIPE_SECRET_KEY is not set (checkout then only
 * quotes, and the client creates the session itself). Throws on a malformed value, like
 * `creditsConfig`.
 */
export function stripeCheckoutConfig(env: CreditsEnv): StripeCheckoutConfig | null {
  const parsed = stripeEnvSchema.safeParse({
    STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY || undefined,
    STRIPE_API_BASE: env.STRIPE_API_BASE || undefined,
    CHECKOUT_SUCCESS_URL: env.CHECKOUT_SUCCESS_URL || undefined,
    CHECKOUT_CANCEL_URL: env.CHECKOUT_CANCEL_URL || undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    invariant(false, `Stripe checkout configuration ${issue?.path.join(".")}: ${issue?.message}`);
  }
  const value = parsed.data;
  if (value.STRIPE_SECRET_KEY === undefined) return null;
  let api: StripeCheckoutConfig["api"] = null;
  if (value.STRIPE_API_BASE !== undefined) {
    const url = new URL(value.STRIPE_API_BASE);
    const protocol = url.protocol === "http:" ? "http" : "https";
    api = { protocol, host: url.hostname, port: Number(url.port || (protocol === "http" ? 80 : 443)) };
  }
  return {
    secretKey: value.STRIPE_SECRET_KEY,
    api,
    successUrl: value.CHECKOUT_SUCCESS_URL ?? null,
    cancelUrl: value.CHECKOUT_CANCEL_URL ?? null,
  };
}
