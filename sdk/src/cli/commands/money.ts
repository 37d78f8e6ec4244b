/** `tfgrid balance | accounts show | earnings | auctions bid`: accounts, a farmer's income, exit bids. */
import { idempotencyKey, idempotent, type Schemas, unwrap, wasReplayed } from "../../index.js";
import { type Command, flagOrConfig, flagsFrom, positional, requiredFlag, stringFlag } from "../command.js";
import { UsageError } from "../errors.js";
import { fields, table } from "../table.js";

type Account = Schemas["Account"];

function accountFields(account: Account): string {
  return fields([
    ["account", account.id],
    ["owner", account.ownerId],
    ["asset", account.asset],
    ["kind", account.kind],
    ["name", account.name],
    ["closed", account.closed],
    ["available", `${account.balance.available} ${account.asset}`],
    ["posted", `${account.balance.posted} ${account.asset}`],
    ["pending debits", account.balance.pendingDebits],
    ["pending credits", account.balance.pendingCredits],
    ["created", account.createdAt],
  ]);
}

export const balance: Command = {
  words: ["balance"],
  arguments: ["[account]"],
  summary: "An account's available and posted balance (default: accountId in config)",
  needsKey: true,
  options: {},
  flagOf: flagsFrom({ id: "[account]" }),
  async run({ client, positionals, settings }) {
    const id = positionals[0] ?? settings.config.accountId;
    if (id === undefined) throw new UsageError("name the account (or set accountId in the config file)");
    const account = await unwrap(client.GET("/v1/accounts/{id}", { params: { path: { id } } }));
    const text = `${account.balance.available} ${account.asset} available (${account.balance.posted} posted) in ${account.id}`;
    return { json: account, text };
  },
};

export const accountsShow: Command = {
  words: ["accounts", "show"],
  arguments: ["<account>"],
  summary: "An account with its balances",
  needsKey: true,
  options: {},
  flagOf: flagsFrom({ id: "<account>" }),
  async run(context) {
    const id = positional(context, 0, "<account>");
    const account = await unwrap(context.client.GET("/v1/accounts/{id}", { params: { path: { id } } }));
    return { json: account, text: accountFields(account) };
  },
};

export const earnings: Command = {
  words: ["earnings"],
  arguments: [],
  summary: "A farmer's earnings: gross, 80 % share, burned, ThreeFold (default: last 30 days)",
  needsKey: true,
  options: {
    farmer: { type: "string", placeholder: "ID", description: "the farmer (default: ownerId in config)" },
    from: { type: "string", placeholder: "ISO", description: "start, e.g. 2026-11-01T00:00:00Z" },
    to: { type: "string", placeholder: "ISO", description: "end (default: now)" },
  },
  flagOf: flagsFrom({ id: "--farmer", "query.from": "--from", "query.to": "--to" }),
  async run({ client, values, settings }) {
    const id = flagOrConfig(values, "farmer", settings.config.ownerId, "ownerId");
    const from = stringFlag(values, "from");
    const to = stringFlag(values, "to");
    const report = await unwrap(
      client.GET("/v1/farmers/{id}/earnings", {
        params: {
          path: { id },
          query: { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) },
        },
      }),
    );
    const headers = ["NODE", "GROSS CC", "FARMER CC", "BURNED CC", "THREEFOLD CC", "UNPAID CC", "PERIODS"];
    const figures = (name: string, row: Schemas["FarmerEarnings"]["total"]) => [
      name,
      row.gross,
      row.farmer,
      row.burned,
      row.threefold,
      row.unpaid,
      String(row.periods),
    ];
    const text = [
      `${report.farmerId}: ${report.from} → ${report.to}`,
      table(headers, [
        ...report.nodes.map((node) => figures(node.nodeId, node)),
        figures("total", report.total),
      ]),
      ...(report.truncated ? ["(more than 200 nodes: the smallest are left out)"] : []),
    ].join("\n");
    return { json: report, text };
  },
};

export const auctionsBid: Command = {
  words: ["auctions", "bid"],
  arguments: ["<round>"],
  summary: "Place a sealed exit bid: TFP held until the round settles (moves value: Idempotency-Key)",
  needsKey: true,
  options: {
    amount: { type: "string", placeholder: "TFP", description: "TFP to sell (required)" },
    "min-price": {
      type: "string",
      placeholder: "USDC",
      description: "lowest price, USDC per TFP (required)",
    },
    account: { type: "string", placeholder: "ACC", description: "your TFP account (required)" },
    payout: {
      type: "string",
      placeholder: "ACC",
      description: "your USDC account for the payout (required)",
    },
    "idempotency-key": { type: "string", placeholder: "KEY", description: "reuse to retry safely" },
  },
  flagOf: flagsFrom({
    id: "<round>",
    amount: "--amount",
    minPrice: "--min-price",
    accountId: "--account",
    payoutAccountId: "--payout",
    "header.idempotency-key": "--idempotency-key",
  }),
  async run(context) {
    const { client, values } = context;
    const id = positional(context, 0, "<round>");
    const body = {
      amount: requiredFlag(values, "amount"),
      minPrice: requiredFlag(values, "min-price"),
      accountId: requiredFlag(values, "account"),
      payoutAccountId: requiredFlag(values, "payout"),
    };
    let key: string;
    try {
      key = idempotencyKey(stringFlag(values, "idempotency-key"));
    } catch (error) {
      throw new UsageError(`--idempotency-key: ${(error as Error).message}`);
    }
    const result = await client.POST("/v1/auctions/{id}/bids", {
      params: { path: { id }, header: idempotent(key) },
      body,
    });
    const bid = await unwrap(result);
    const notes = [`Idempotency-Key: ${key} (retry with --idempotency-key ${key})`];
    if (wasReplayed(result.response)) notes.push("replayed: the first answer to this Idempotency-Key");
    const text = fields([
      ["bid", bid.id],
      ["round", bid.roundId],
      ["amount", `${bid.amount} TFP`],
      ["min price", `${bid.minPrice} USDC/TFP`],
      ["status", bid.status],
      ["hold", bid.holdId],
      ["placed", bid.placedAt],
    ]);
    return { json: bid, text, notes };
  },
};
