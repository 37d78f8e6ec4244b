/** `tfgrid nodes register | price | show`: a farmer's nodes. */
import { type Schemas, unwrap } from "../../index.js";
import { type Command, flagsFrom, integerFlag, positional, requiredFlag, stringFlag } from "../command.js";
import { UsageError } from "../errors.js";
import { fields, shortDecimal } from "../table.js";

type Node = Schemas["MarketNode"];
type Registration = Schemas["NodeRegistration"];

function nodeFields(node: Node): string {
  const prices = node.prices;
  return fields([
    ["node", node.id],
    ["name", node.name],
    ["farmer", node.farmerId],
    ["region", node.region],
    ["state", node.state],
    ["slices", `${node.freeSlices} free of ${node.sliceCount}`],
    [
      "slice",
      `${shortDecimal(node.slice.cores)} cores, ${shortDecimal(node.slice.memGb)} GB memory, ${shortDecimal(node.slice.ssdGb)} GB SSD`,
    ],
    [
      "price",
      `${prices.perSliceMonth} ${prices.currency}/slice-month, ${prices.perSliceHour} ${prices.currency}/slice-hour`,
    ],
    [
      "in CC",
      prices.inCc === null
        ? null
        : `${prices.inCc.perSliceMonth}/slice-month, ${prices.inCc.perSliceHour}/slice-hour`,
    ],
    ["band", `${node.band.minPerSliceMonth}–${node.band.maxPerSliceMonth} ${node.band.currency}/slice-month`],
    ["min bid", `${prices.minBidCcPerSliceHour} CC/slice-hour`],
    ["auto-accept above", prices.autoAcceptAboveCcPerSliceHour],
    ["reliability", node.reliability],
  ]);
}

/** Hardware flags → the registration's `hardware` fields. */
const hardwareFlags = {
  cores: "cores",
  passmark: "passmark",
  mem: "memGb",
  ssd: "ssdGb",
  ai: "aiGb",
  tps: "tps",
} as const;

function hardwareOf(values: Parameters<typeof stringFlag>[0]): Registration["hardware"] | undefined {
  const given = Object.keys(hardwareFlags).some((flag) => stringFlag(values, flag) !== undefined);
  if (!given) return undefined;
  const maxSlices = integerFlag(values, "max-slices", 1, 1_000_000);
  if (maxSlices === undefined) throw new UsageError("--max-slices is required with hardware flags");
  return {
    cores: requiredFlag(values, "cores"),
    passmark: requiredFlag(values, "passmark"),
    memGb: requiredFlag(values, "mem"),
    ssdGb: requiredFlag(values, "ssd"),
    aiGb: stringFlag(values, "ai") ?? "0",
    tps: stringFlag(values, "tps") ?? "0",
    maxSlices,
  };
}

export const nodesRegister: Command = {
  words: ["nodes", "register"],
  arguments: [],
  summary: "Register a node from a catalogue preset or its hardware (farmer)",
  needsKey: true,
  options: {
    name: { type: "string", placeholder: "NAME", description: "the node's name (required)" },
    region: { type: "string", placeholder: "REGION", description: "e.g. eu-west (required)" },
    slices: { type: "string", placeholder: "N", description: "slices to cut it into (required)" },
    "price-month": {
      type: "string",
      placeholder: "P",
      description: "price per slice-month, band currency (required)",
    },
    "price-hour": {
      type: "string",
      placeholder: "P",
      description: "price per slice-hour, band currency (required)",
    },
    catalogue: { type: "string", placeholder: "ID", description: "a catalogue preset, e.g. 3node-home" },
    cores: { type: "string", placeholder: "N", description: "hardware: CPU cores" },
    passmark: { type: "string", placeholder: "N", description: "hardware: Passmark score" },
    mem: { type: "string", placeholder: "GB", description: "hardware: memory" },
    ssd: { type: "string", placeholder: "GB", description: "hardware: SSD" },
    ai: { type: "string", placeholder: "GB", description: "hardware: AI/GPU memory (default 0)" },
    tps: { type: "string", placeholder: "N", description: "hardware: tokens per second (default 0)" },
    "max-slices": {
      type: "string",
      placeholder: "N",
      description: "hardware: most slices it can be cut into",
    },
    cost: { type: "string", placeholder: "USD", description: "hardware cost (required with hardware flags)" },
    certified: { type: "boolean", description: "the node is certified" },
    "min-bid": {
      type: "string",
      placeholder: "CC",
      description: "lowest interruptible bid, CC per slice-hour",
    },
    farmer: { type: "string", placeholder: "ID", description: "admins: the farmer it belongs to" },
    payout: { type: "string", placeholder: "ACC", description: "the farmer's CC payout account" },
  },
  flagOf: flagsFrom({
    name: "--name",
    region: "--region",
    sliceCount: "--slices",
    pricePerSliceMonth: "--price-month",
    pricePerSliceHour: "--price-hour",
    catalogueId: "--catalogue",
    hardware: "--cores/--mem/…",
    "hardware.cores": "--cores",
    "hardware.passmark": "--passmark",
    "hardware.memGb": "--mem",
    "hardware.ssdGb": "--ssd",
    "hardware.maxSlices": "--max-slices",
    hardwareCostUsd: "--cost",
    minBidCcPerSliceHour: "--min-bid",
    farmerId: "--farmer",
    payoutAccountId: "--payout",
  }),
  async run({ client, values }) {
    const sliceCount = integerFlag(values, "slices", 1, 1_000_000);
    if (sliceCount === undefined) throw new UsageError("--slices is required");
    const hardware = hardwareOf(values);
    const catalogueId = stringFlag(values, "catalogue");
    if (hardware === undefined && catalogueId === undefined) {
      throw new UsageError(
        "give --catalogue ID or the hardware (--cores --passmark --mem --ssd --max-slices --cost)",
      );
    }
    const optional = {
      catalogueId,
      hardware,
      hardwareCostUsd: stringFlag(values, "cost"),
      certified: values.certified === true ? true : undefined,
      minBidCcPerSliceHour: stringFlag(values, "min-bid"),
      farmerId: stringFlag(values, "farmer"),
      payoutAccountId: stringFlag(values, "payout"),
    };
    const body: Registration = {
      name: requiredFlag(values, "name"),
      region: requiredFlag(values, "region"),
      sliceCount,
      pricePerSliceMonth: requiredFlag(values, "price-month"),
      pricePerSliceHour: requiredFlag(values, "price-hour"),
      ...(Object.fromEntries(
        Object.entries(optional).filter(([, value]) => value !== undefined),
      ) as Partial<Registration>),
    };
    const node = await unwrap(client.POST("/v1/nodes", { body }));
    return { json: node, text: nodeFields(node) };
  },
};

export const nodesPrice: Command = {
  words: ["nodes", "price"],
  arguments: ["<node>", "<price>"],
  summary: "Set a node's <price> per slice-month inside its band (hourly kept unless --hour)",
  needsKey: true,
  options: {
    hour: { type: "string", placeholder: "P", description: "price per slice-hour (default: unchanged)" },
    "min-bid": {
      type: "string",
      placeholder: "CC",
      description: "lowest interruptible bid (default: unchanged)",
    },
    "auto-accept": {
      type: "string",
      placeholder: "CC|off",
      description: "auto-accept bids above (off: never)",
    },
  },
  flagOf: flagsFrom({
    id: "<node>",
    pricePerSliceMonth: "<price>",
    pricePerSliceHour: "--hour",
    minBidCcPerSliceHour: "--min-bid",
    autoAcceptAboveCcPerSliceHour: "--auto-accept",
  }),
  async run(context) {
    const { client, values } = context;
    const id = positional(context, 0, "<node>");
    const pricePerSliceMonth = positional(context, 1, "<price>");
    // The API sets both prices at once: without --hour the node's current hourly price is resent.
    const pricePerSliceHour =
      stringFlag(values, "hour") ??
      (await unwrap(client.GET("/v1/nodes/{id}", { params: { path: { id } } }))).prices.perSliceHour;
    const minBid = stringFlag(values, "min-bid");
    const autoAccept = stringFlag(values, "auto-accept");
    const node = await unwrap(
      client.PUT("/v1/nodes/{id}/price", {
        params: { path: { id } },
        body: {
          pricePerSliceMonth,
          pricePerSliceHour,
          ...(minBid === undefined ? {} : { minBidCcPerSliceHour: minBid }),
          ...(autoAccept === undefined
            ? {}
            : { autoAcceptAboveCcPerSliceHour: autoAccept === "off" ? null : autoAccept }),
        },
      }),
    );
    return { json: node, text: nodeFields(node) };
  },
};

export const nodesShow: Command = {
  words: ["nodes", "show"],
  arguments: ["<node>"],
  summary: "A node: slices, prices, band, reliability (public)",
  needsKey: false,
  options: {},
  flagOf: flagsFrom({ id: "<node>" }),
  async run(context) {
    const id = positional(context, 0, "<node>");
    const node = await unwrap(context.client.GET("/v1/nodes/{id}", { params: { path: { id } } }));
    return { json: node, text: nodeFields(node) };
  },
};
