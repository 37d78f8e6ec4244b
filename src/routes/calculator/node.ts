/**
 * `POST /v1/calculator/node`: a farmer's income calculator (ECONOMICS.md §11–§12, §10.1). From a
 * catalogue preset or custom hardware, a slice count and a hardware cost (and optionally a chosen
 * price and utilisation): the per-slice resources, the price band, minimum and maximum monthly
 * income, the farmer's 80 % share, hardware cost per month over the amortisation period, and
 * break-even months, in the band's currency and in CC/USD through the live peg. Public (no key):
 * it computes published formulas and reads only the peg. When the oracle has no gold price the
 * converted figures are null and `peg.note` says why; the calculation itself never fails on it.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../../kit/http/errors";
import { sliceFigures } from "../../kit/http/figures";
import { jsonBody, jsonResponse, noQuerySchema, problemResponses } from "../../kit/http/schemas";
import type { App } from "../../kit/http/types";
import type { Failure } from "../../kit/result";
import { Dec, roundDecimal } from "../../ledger/core/money";
import { marketConfig } from "../../market/config";
import { type CatalogueNodeId, catalogueNodeIds, findCatalogueNode } from "../../market/core/catalogue";
import {
  farmerShare,
  type IncomeScenario,
  incomeAtPricePerMonth,
  incomeProjection,
} from "../../market/core/income";
import { decimalInputLengthMax, type MarketParameters } from "../../market/core/parameters";
import { type BandProfile, priceBand } from "../../market/core/pricing";
import {
  type NodeHardware,
  type SliceResources,
  sliceResources,
  slicesPerNodeMax,
} from "../../market/core/slices";
import { currentPeg, type Peg } from "../../oracle/prices";
import { catalogueFor, hardwareSchema } from "../catalog/nodes";
import {
  bandEndFigure,
  bandMoneyOf,
  figure,
  incomeCurvePoints,
  type Money,
  moneyFigure,
  moneyOf,
  moneySchema,
  pricesAcross,
} from "./figures";

const decimalText = z
  .string()
  .max(40)
  .regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/, 'must be a decimal string such as "16" or "0.5"');

const customHardwareSchema = z
  .strictObject({
    cores: decimalText.openapi({ example: "16" }),
    passmark: decimalText.openapi({ example: "22000" }),
    memGb: decimalText.openapi({ example: "32", description: "RAM in GB; 4 GB per node is reserved." }),
    ssdGb: decimalText.openapi({ example: "1000" }),
    aiGb: decimalText.optional().openapi({ example: "0", description: "AI/GPU memory in GB (default 0)." }),
    tps: decimalText.optional().openapi({ example: "0", description: "Tokens per second (default 0)." }),
    maxSlices: z.number().int().min(1).max(slicesPerNodeMax).openapi({ example: 25 }),
  })
  .openapi("CalculatorHardware");

const bodySchema = z
  .strictObject({
    preset: z
      .enum(catalogueNodeIds)
      .optional()
      .openapi({ example: "3node-home", description: "A catalogue node id; or give `hardware`." }),
    hardware: customHardwareSchema.optional(),
    fixedBand: z
      .strictObject({ minPerSliceMonth: decimalText, maxPerSliceMonth: decimalText })
      .optional()
      .openapi({
        description:
          "Custom hardware only: a fixed band per slice-month (AI nodes). Default: the memory-driven band.",
      }),
    sliceCount: z.number().int().min(1).max(slicesPerNodeMax).optional().openapi({
      example: 7,
      description: "Slices the node is cut into (≤ maxSlices). Default with a preset: its typical count.",
    }),
    hardwareCostUsd: decimalText.optional().openapi({
      example: "500",
      description: "Purchase price in USD (> 0). Default with a preset: the catalogue cost.",
    }),
    chosenPricePerSliceMonth: decimalText.optional().openapi({
      example: "6",
      description: "A price per slice-month in the band currency; must lie in the band.",
    }),
    utilisation: decimalText.optional().openapi({
      example: "0.75",
      description:
        "Rented fraction of slice-time, 0 to 1, for the chosen-price scenario and the income curve (default 1). Without a chosen price the scenario uses the band minimum.",
    }),
  })
  .openapi("CalculatorRequest");

const sliceSchema = z
  .object({
    cores: z.string(),
    passmark: z.string(),
    memGb: z.string(),
    ssdGb: z.string(),
    aiGb: z.string(),
    tps: z.string(),
  })
  .openapi("SliceResources", {
    description:
      "Resources of one slice, rounded down as the market shows them: cores to 3 decimals, Passmark to whole points, GB and tokens per second to 2.",
  });

const scenarioSchema = z
  .object({
    pricePerSliceMonth: moneySchema.nullable().openapi({ description: "The price the scenario assumes." }),
    utilisation: z.string().nullable(),
    grossPerMonth: moneySchema.openapi({ description: "Income before the revenue split." }),
    farmerPerMonth: moneySchema.openapi({ description: "The farmer's share after the split." }),
    breakEvenMonths: z
      .string()
      .nullable()
      .openapi({ description: "Hardware cost ÷ gross income per month (USD); null at zero income." }),
    farmerBreakEvenMonths: z
      .string()
      .nullable()
      .openapi({ description: "Hardware cost ÷ the farmer's share per month (USD); null at zero income." }),
  })
  .openapi("IncomeScenario");

const responseSchema = z
  .object({
    node: z.object({
      preset: z.string().nullable().openapi({ example: "3node-home" }),
      name: z.string().openapi({ example: "3Node Home" }),
      hardware: hardwareSchema,
      maxSlices: z.number().int(),
    }),
    sliceCount: z.number().int(),
    slice: sliceSchema,
    band: z.object({
      profile: z.enum(["memory", "fixed"]),
      currency: z.enum(["USD", "CC"]),
      minPerSliceMonth: moneySchema,
      maxPerSliceMonth: moneySchema,
      minPerSliceHour: moneySchema,
      maxPerSliceHour: moneySchema,
    }),
    hardware: z.object({
      costUsd: z.string(),
      amortisationMonths: z.number().int(),
      costPerMonth: moneySchema,
    }),
    revenueSplit: z.object({ farmer: z.string(), burn: z.string(), threefold: z.string() }),
    income: z.object({
      min: scenarioSchema.openapi({ description: "§12.4: slices × band minimum × 1.3." }),
      max: scenarioSchema.openapi({ description: "§12.4: slices × band maximum × 1.5." }),
      chosen: scenarioSchema
        .nullable()
        .openapi({ description: "slices × chosen price × utilisation; null without either." }),
    }),
    paybackPricePerSliceMonth: z
      .object({ gross: moneySchema.nullable(), farmer: moneySchema.nullable() })
      .openapi({
        description:
          "The price per slice-month at which monthly income (gross, or the farmer's share) at the given utilisation equals the hardware cost per month; null at zero utilisation.",
      }),
    curve: z
      .array(
        z.object({
          pricePerSliceMonth: z.string(),
          grossPerMonth: z.string(),
          farmerPerMonth: z.string(),
          farmerBreakEvenMonths: z.string().nullable(),
        }),
      )
      .openapi({
        description: `${incomeCurvePoints} evenly spaced prices across the monthly band (band currency) and the income at the given utilisation.`,
      }),
    peg: z.object({
      ccUsd: z.string().nullable().openapi({ example: "0.128", description: "USD per CC in force." }),
      health: z.enum(["healthy", "degraded", "halted"]),
      asOf: z.string().nullable(),
      note: z.string().nullable(),
    }),
  })
  .openapi("CalculatorResult");

const route = createRoute({
  method: "post",
  path: "/v1/calculator/node",
  operationId: "calculateNodeIncome",
  security: [],
  tags: ["calculator"],
  summary: "Income, band and break-even of a node from a preset or custom hardware (no key needed)",
  request: { query: noQuerySchema, body: jsonBody(bodySchema) },
  responses: {
    200: jsonResponse(responseSchema, "The node's per-slice resources, band, incomes and break-even"),
    ...problemResponses(413, 415, 422),
  },
});

type Body = z.infer<typeof bodySchema>;

/** A domain failure as a 422 whose field names the request's field. */
function failureFor(failure: Failure, prefix: Record<string, string>): ApiError {
  const field = failure.field === undefined ? undefined : (prefix[failure.field] ?? failure.field);
  return ApiError.from(field === undefined ? failure : { ...failure, field });
}

const hardwareFields: Record<string, string> = Object.fromEntries(
  ["cores", "passmark", "memGb", "ssdGb", "aiGb", "tps", "maxSlices"].map((name) => [
    name,
    `hardware.${name}`,
  ]),
);
const fixedBandFields: Record<string, string> = {
  bandProfile: "fixedBand",
  "bandProfile.fixedMinMonthly": "fixedBand.minPerSliceMonth",
  "bandProfile.fixedMaxMonthly": "fixedBand.maxPerSliceMonth",
};

function invalid(field: string, detail: string): ApiError {
  return new ApiError("VALIDATION_FAILED", detail, [{ field, detail }]);
}

type Node = {
  preset: CatalogueNodeId | null;
  name: string;
  hardware: NodeHardware;
  profile: BandProfile;
  sliceCount: number;
  hardwareCostUsd: string;
};

/** Resolves the preset or the custom hardware with its defaults; 422 naming the field otherwise. */
function nodeOf(body: Body, params: MarketParameters): Node {
  if (body.preset !== undefined && body.hardware !== undefined) {
    throw invalid("hardware", "Give either preset or hardware, not both");
  }
  if (body.preset !== undefined) {
    if (body.fixedBand !== undefined) throw invalid("fixedBand", "A preset has its own band");
    const preset = findCatalogueNode(body.preset, catalogueFor(params));
    if (preset === undefined) throw invalid("preset", "Unknown preset");
    return {
      preset: preset.id,
      name: preset.name,
      hardware: preset.hardware,
      profile: preset.bandProfile,
      sliceCount: body.sliceCount ?? preset.typicalSlices,
      hardwareCostUsd: body.hardwareCostUsd ?? preset.hardwareCostUsd,
    };
  }
  if (body.hardware === undefined) throw invalid("preset", "Give a preset or custom hardware");
  if (body.sliceCount === undefined) throw invalid("sliceCount", "Required with custom hardware");
  if (body.hardwareCostUsd === undefined) throw invalid("hardwareCostUsd", "Required with custom hardware");
  const { aiGb, tps, ...rest } = body.hardware;
  return {
    preset: null,
    name: "Custom node",
    hardware: { ...rest, aiGb: aiGb ?? "0", tps: tps ?? "0" },
    profile:
      body.fixedBand === undefined
        ? "memory"
        : {
            fixedMinMonthly: body.fixedBand.minPerSliceMonth,
            fixedMaxMonthly: body.fixedBand.maxPerSliceMonth,
          },
    sliceCount: body.sliceCount,
    hardwareCostUsd: body.hardwareCostUsd,
  };
}

/**
 * A full-precision quotient shortened to the domain's input bound (`decimalInputLengthMax`
 * characters), rounded half-even: `sliceResources` returns 60 significant digits for a division
 * that does not terminate ((36 − 4) / 7 GB), which `priceBand` would refuse as too long. The
 * rounding is below 10^−30 for any realistic node, far under any displayed or charged unit.
 */
function boundedDecimal(value: string): string {
  if (value.length <= decimalInputLengthMax) return value;
  const integerDigits = new Dec(value).trunc().toFixed().length;
  return roundDecimal(value, Math.max(0, decimalInputLengthMax - integerDigits - 2), "halfEven").toFixed();
}

/** A slice as the market shows it (src/kit/http/figures.ts): each resource rounded down to its unit. */
function sliceJson(slice: SliceResources): z.infer<typeof sliceSchema> {
  return sliceFigures(slice);
}

/** The node the figures are for, as the caller described it or the preset has it. */
function nodeJson(node: ReturnType<typeof nodeOf>) {
  const { cores, passmark, memGb, ssdGb, aiGb, tps, maxSlices } = node.hardware;
  return {
    preset: node.preset,
    name: node.name,
    hardware: { cores, passmark, memGb, ssdGb, aiGb, tps },
    maxSlices,
  };
}

type Band = Extract<ReturnType<typeof priceBand>, { ok: true }>["value"];

/** The node's price band, each bound in its currency and the other. */
function bandJson(band: Band, ccUsd: string | null) {
  const bound = (amount: string, side: "min" | "max", period: "month" | "hour") =>
    bandMoneyOf(amount, side, band.currency, ccUsd, period);
  return {
    profile: band.profile,
    currency: band.currency,
    minPerSliceMonth: bound(band.minPerSliceMonth, "min", "month"),
    maxPerSliceMonth: bound(band.maxPerSliceMonth, "max", "month"),
    minPerSliceHour: bound(band.minPerSliceHour, "min", "hour"),
    maxPerSliceHour: bound(band.maxPerSliceHour, "max", "hour"),
  };
}

/** Income and farmer break-even at prices across the band (the projection chart's points). */
function curveOf(
  band: Band,
  sliceCount: number,
  utilisation: string,
  usdPerPriceUnit: string | null,
  costUsd: Dec,
  params: MarketParameters,
) {
  const prices = pricesAcross(band.minPerSliceMonth, band.maxPerSliceMonth);
  return prices.map((price, index) => {
    const gross = incomeAtPricePerMonth(price.toString(), sliceCount, utilisation);
    const farmer = farmerShare(gross, params);
    const farmerUsd = usdPerPriceUnit === null ? null : new Dec(farmer).mul(usdPerPriceUnit);
    // The curve's ends are the band's ends as shown (inward); the points between, half-even.
    const priceShown =
      index === 0
        ? bandEndFigure(price, "min", band.currency, "month")
        : index === prices.length - 1
          ? bandEndFigure(price, "max", band.currency, "month")
          : moneyFigure(price, band.currency);
    return {
      pricePerSliceMonth: priceShown,
      grossPerMonth: moneyFigure(gross, band.currency),
      farmerPerMonth: moneyFigure(farmer, band.currency),
      farmerBreakEvenMonths: farmerUsd === null || farmerUsd.isZero() ? null : figure(costUsd.div(farmerUsd)),
    };
  });
}

/** What the caller should know about the gold price behind the figures, or null when it is healthy. */
function healthNoteOf(peg: Peg, comparable: boolean): string | null {
  if (peg.gold === null) {
    return comparable
      ? "The price oracle has no gold price: CC figures are omitted (null) until it has one."
      : "The price oracle has no gold price: USD figures and break-even are omitted (null) until it has one.";
  }
  return peg.gold.health === "healthy"
    ? null
    : `The gold price is ${peg.gold.health}: CC figures use the last accepted price.`;
}

export function register(app: App) {
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    // The marketplace's parameters (wrangler.toml MARKET_*), so the calculator quotes the bands nodes get.
    const params = marketConfig(c.env).parameters;
    const node = nodeOf(body, params);

    const slice = sliceResources(node.hardware, node.sliceCount, params);
    if (!slice.ok) throw failureFor(slice, node.preset === null ? hardwareFields : {});
    const band = priceBand({ memGb: boundedDecimal(slice.value.memGb) }, node.profile, params);
    if (!band.ok) throw failureFor(band, { ...fixedBandFields, memGb: "hardware.memGb" });

    const peg = await currentPeg(c.get("db"));
    const ccUsd = peg.gold === null ? null : peg.ccUsd;
    const currency = band.value.currency;
    // USD per band-currency unit: 1 for USD bands; the peg for CC bands, unknown without a gold
    // price, in which case nothing priced in the band can be set against the USD hardware cost.
    const usdPerPriceUnit = currency === "USD" ? "1" : ccUsd;
    const comparable = usdPerPriceUnit !== null;

    const utilisation = body.utilisation ?? "1";
    const wantsChosen = body.chosenPricePerSliceMonth !== undefined || body.utilisation !== undefined;
    const chosenPrice = body.chosenPricePerSliceMonth ?? band.value.minPerSliceMonth;
    const projection = incomeProjection(
      {
        hardwareCostUsd: node.hardwareCostUsd,
        sliceCount: node.sliceCount,
        band: band.value,
        ...(wantsChosen ? { chosenPricePerSliceMonth: chosenPrice, utilisation } : {}),
        // A placeholder rate when not comparable: the break-even figures it gives are dropped below.
        usdPerPriceUnit: usdPerPriceUnit ?? "1",
      },
      params,
    );
    if (!projection.ok) throw failureFor(projection, {});
    const result = projection.value;

    const money = (amount: string): Money => moneyOf(amount, currency, ccUsd);
    const breakEven = (months: string | null) => (months === null || !comparable ? null : figure(months));
    const scenario = (
      value: IncomeScenario,
      price: Money | null,
      scenarioUtilisation: string | null,
    ): z.infer<typeof scenarioSchema> => ({
      pricePerSliceMonth: price,
      utilisation: scenarioUtilisation,
      grossPerMonth: money(value.grossPerMonth),
      farmerPerMonth: money(value.farmerPerMonth),
      breakEvenMonths: breakEven(value.breakEvenMonths),
      farmerBreakEvenMonths: breakEven(value.farmerBreakEvenMonths),
    });

    // Hardware cost per month in the band currency, to compare with band-currency incomes.
    const costPerMonthBand = comparable ? new Dec(result.hardwareCostUsdPerMonth).div(usdPerPriceUnit) : null;
    const incomePerUnitPrice = new Dec(node.sliceCount).mul(utilisation);
    const paybackPrice = (share: Dec | string) =>
      costPerMonthBand === null || incomePerUnitPrice.isZero()
        ? null
        : money(costPerMonthBand.div(incomePerUnitPrice.mul(share)).toString());
    const costUsd = new Dec(result.hardwareCostUsd);

    const curve = curveOf(band.value, node.sliceCount, utilisation, usdPerPriceUnit, costUsd, params);
    const bandJsonOf = bandJson(band.value, ccUsd);

    return c.json(
      {
        node: nodeJson(node),
        sliceCount: node.sliceCount,
        slice: sliceJson(slice.value),
        band: bandJsonOf,
        hardware: {
          costUsd: result.hardwareCostUsd,
          amortisationMonths: params.amortisationMonths,
          costPerMonth: moneyOf(result.hardwareCostUsdPerMonth, "USD", ccUsd),
        },
        revenueSplit: { ...params.revenueSplit },
        income: {
          // The band's ends as the band shows them (inward), so the scenarios and the band agree.
          min: scenario(result.min, bandJsonOf.minPerSliceMonth, null),
          max: scenario(result.max, bandJsonOf.maxPerSliceMonth, null),
          chosen:
            result.chosen === null
              ? null
              : scenario(result.chosen, chosenPrice === null ? null : money(chosenPrice), utilisation),
        },
        paybackPricePerSliceMonth: {
          gross: paybackPrice("1"),
          farmer: paybackPrice(params.revenueSplit.farmer),
        },
        curve,
        peg: {
          ccUsd,
          health: peg.gold?.health ?? "halted",
          asOf: peg.gold === null ? null : new Date(peg.gold.acceptedAtMs).toISOString(),
          note: healthNoteOf(peg, comparable),
        },
      },
      200,
    );
  });
}
