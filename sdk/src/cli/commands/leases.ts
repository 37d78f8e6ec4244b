/** `tfgrid leases reserve | show | list`: reserve slices and follow the leases. */
import { collect, idempotencyKey, idempotent, type Schemas, unwrap, wasReplayed } from "../../index.js";
import { type Command, flagOrConfig, flagsFrom, integerFlag, positional, stringFlag } from "../command.js";
import { UsageError } from "../errors.js";
import { fields, table } from "../table.js";

type Lease = Schemas["Lease"];

/** Hours a lease may be reserved for: the API's maximum is checked by the API. */
const leaseHoursMax = 1_000_000;

function leaseFields(lease: Lease): string {
  return fields([
    ["lease", lease.id],
    ["node", lease.nodeId],
    ["status", lease.pausedReason === null ? lease.status : `${lease.status} (${lease.pausedReason})`],
    ["kind", lease.kind],
    ["slices", lease.slices],
    ["price", `${lease.priceCcPerSliceHour} CC per slice-hour`],
    ["quoted", lease.quoted === null ? null : `${lease.quoted.price} ${lease.quoted.currency}`],
    ["charged", `${lease.charged} CC`],
    ["payer", lease.payerAccountId],
    ["started", lease.startedAt],
    ["ends", lease.endsAt ?? "open-ended"],
    ["settled through", lease.settledThrough],
    ["holds", lease.holdIds.length === 0 ? null : lease.holdIds.join(", ")],
  ]);
}

export const leasesReserve: Command = {
  words: ["leases", "reserve"],
  arguments: ["<node>"],
  summary: "Reserve slices of a node at its listed price (moves value: Idempotency-Key)",
  needsKey: true,
  options: {
    slices: { type: "string", placeholder: "N", description: "slices to reserve (required)" },
    hours: { type: "string", placeholder: "H", description: "duration in hours" },
    "open-ended": { type: "boolean", description: "no end: runs until ended" },
    account: { type: "string", placeholder: "ACC", description: "the CC account that pays (default: yours)" },
    "idempotency-key": {
      type: "string",
      placeholder: "KEY",
      description: "reuse to retry safely (default: a new UUID, printed)",
    },
  },
  flagOf: flagsFrom({
    nodeId: "<node>",
    slices: "--slices",
    durationHours: "--hours",
    accountId: "--account",
    "header.idempotency-key": "--idempotency-key",
  }),
  async run(context) {
    const { client, values } = context;
    const nodeId = positional(context, 0, "<node>");
    const slices = integerFlag(values, "slices", 1, 1_000_000);
    if (slices === undefined) throw new UsageError("--slices is required");
    const hours = integerFlag(values, "hours", 1, leaseHoursMax);
    if ((hours === undefined) === (values["open-ended"] !== true)) {
      throw new UsageError("give either --hours H or --open-ended");
    }
    let key: string;
    try {
      key = idempotencyKey(stringFlag(values, "idempotency-key"));
    } catch (error) {
      throw new UsageError(`--idempotency-key: ${(error as Error).message}`);
    }
    const account = stringFlag(values, "account");
    const result = await client.POST("/v1/leases", {
      params: { header: idempotent(key) },
      body: {
        nodeId,
        slices,
        durationHours: hours ?? null,
        ...(account === undefined ? {} : { accountId: account }),
      },
    });
    const lease = await unwrap(result);
    const notes = [`Idempotency-Key: ${key} (retry with --idempotency-key ${key})`];
    if (wasReplayed(result.response)) notes.push("replayed: the first answer to this Idempotency-Key");
    return { json: lease, text: leaseFields(lease), notes };
  },
};

export const leasesShow: Command = {
  words: ["leases", "show"],
  arguments: ["<lease>"],
  summary: "A lease: status, price, charges, holds",
  needsKey: true,
  options: {},
  flagOf: flagsFrom({ id: "<lease>" }),
  async run(context) {
    const id = positional(context, 0, "<lease>");
    const lease = await unwrap(context.client.GET("/v1/leases/{id}", { params: { path: { id } } }));
    return { json: lease, text: leaseFields(lease) };
  },
};

/** Transfers scanned at most when looking for an account's leases (newest first). */
const transfersScannedMax = 5_000;

/** The lease ids of an account's lease holds (codes `lease_hold`, `package_lease_hold`), newest first. */
function leaseIdsOf(transfers: readonly Schemas["Transfer"][], leasesMax: number): string[] {
  const ids: string[] = [];
  for (const transfer of transfers) {
    if (transfer.code !== "lease_hold" && transfer.code !== "package_lease_hold") continue;
    const leaseId = transfer.metadata?.leaseId;
    if (typeof leaseId === "string" && !ids.includes(leaseId)) ids.push(leaseId);
    if (ids.length >= leasesMax) break;
  }
  return ids;
}

export const leasesList: Command = {
  words: ["leases", "list"],
  arguments: [],
  summary: "The leases an account paid for, newest first (found through its lease holds)",
  needsKey: true,
  options: {
    account: {
      type: "string",
      placeholder: "ACC",
      description: "the paying account (default: accountId in config)",
    },
    limit: { type: "string", placeholder: "N", description: "leases to show, 1–200 (default 20)" },
  },
  flagOf: flagsFrom({ id: "--account" }),
  async run({ client, values, settings }) {
    const accountId = flagOrConfig(values, "account", settings.config.accountId, "accountId");
    const leasesMax = integerFlag(values, "limit", 1, 200) ?? 20;
    // The API lists no leases by payer: each reservation's hold on the paying account names its lease.
    const transfers = await collect(
      (page) =>
        unwrap(
          client.GET("/v1/accounts/{id}/transfers", {
            params: { path: { id: accountId }, query: { limit: 200, ...page } },
          }),
        ),
      transfersScannedMax,
    );
    const leases: Lease[] = [];
    for (const id of leaseIdsOf(transfers, leasesMax)) {
      leases.push(await unwrap(client.GET("/v1/leases/{id}", { params: { path: { id } } })));
    }
    const headers = ["LEASE", "NODE", "SLICES", "STATUS", "CC/SLICE-H", "CHARGED", "STARTED", "ENDS"];
    const rows = leases.map((lease) => [
      lease.id,
      lease.nodeId,
      String(lease.slices),
      lease.status,
      lease.priceCcPerSliceHour,
      lease.charged,
      lease.startedAt,
      lease.endsAt ?? "open-ended",
    ]);
    return { json: { data: leases }, text: leases.length === 0 ? "No leases." : table(headers, rows) };
  },
};
