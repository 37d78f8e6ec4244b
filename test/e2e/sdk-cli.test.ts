// Proves against the real service (wrangler dev + libSQL, as `npm run dev` runs it) that the SDK's typed client creates an owner's account and keys, searches the market across cursor pages, reserves a lease whose Idempotency-Key replays the same answer, and throws a ProblemError naming the refused field; and that the `tfgrid` CLI, spawned as a user would run it, searches, reserves and prices with --json, exits 1 with the problem printed when the API refuses, 2 on a usage error and 3 when nothing answers.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  collect,
  createClient,
  idempotencyKey,
  idempotent,
  ProblemError,
  type Schemas,
  type TfgridClient,
  unwrap,
  wasReplayed,
} from "../../sdk/src/index.ts";

const baseUrl = inject("e2eBaseUrl");
const admin = createClient({ baseUrl, apiKey: inject("e2eAdminKey") });
const root = join(import.meta.dirname, "..", "..");
const region = "e2e-sdk";
const run = Math.random().toString(36).slice(2, 10);
const userId = `usr_sdk_${run}`;
const farmerId = `frm_sdk_${run}`;

let configDirectory: string;
let userKey: string;
let farmerKey: string;
let user: TfgridClient;
let farmer: TfgridClient;
let account: Schemas["Account"];
let nodes: Schemas["MarketNode"][];

async function keyFor(ownerId: string, role: "user" | "farmer"): Promise<string> {
  const created = await unwrap(admin.POST("/v1/keys", { body: { ownerId, role, name: `sdk e2e ${role}` } }));
  return created.key;
}

beforeAll(async () => {
  configDirectory = mkdtempSync(join(tmpdir(), "tfgrid-cli-"));
  // An empty config file, so no real ~/.config/tfgrid/config.json is read by the spawned CLI.
  writeFileSync(join(configDirectory, "config.json"), "{}\n");
  account = await unwrap(
    admin.POST("/v1/accounts", { body: { ownerId: userId, asset: "CC", kind: "user" } }),
  );
  await unwrap(
    admin.POST("/v1/transfers", {
      params: { header: idempotent() },
      body: {
        transfers: [
          {
            type: "posted",
            debitAccountId: "acc_issuance_cc",
            creditAccountId: account.id,
            asset: "CC",
            amount: "1000",
            code: "manual_adjustment",
          },
        ],
      },
    }),
  );
  userKey = await keyFor(userId, "user");
  farmerKey = await keyFor(farmerId, "farmer");
  user = createClient({ baseUrl, apiKey: userKey });
  farmer = createClient({ baseUrl, apiKey: farmerKey });
  nodes = [];
  for (const [name, month] of [
    ["SDK home A", "3"],
    ["SDK home B", "4"],
  ] as const) {
    nodes.push(
      await unwrap(
        farmer.POST("/v1/nodes", {
          body: {
            name,
            catalogueId: "3node-home",
            region,
            sliceCount: 7,
            pricePerSliceMonth: month,
            pricePerSliceHour: "0.01",
          },
        }),
      ),
    );
  }
});

afterAll(() => {
  if (configDirectory) rmSync(configDirectory, { recursive: true, force: true });
});

describe("the SDK against the real service", () => {
  it("finds the region's nodes through typed filters, one per page across cursors", async () => {
    const pages: string[][] = [];
    const found = await collect(async (page) => {
      const listing = await unwrap(
        user.GET("/v1/market/slices", { params: { query: { region, minMemGb: "1", limit: 1, ...page } } }),
      );
      pages.push(listing.data.map((node) => node.id));
      return listing;
    }, 10);
    expect(found.map((node) => node.id).sort()).toEqual(nodes.map((node) => node.id).sort());
    expect(pages).toHaveLength(2);
    expect(pages.every((page) => page.length === 1)).toBe(true);
    expect(found.every((node) => node.region === region && node.freeSlices === 7)).toBe(true);
  });

  it("reserves with an Idempotency-Key and the same key replays the same lease", async () => {
    const node = nodes[0]!;
    const key = idempotencyKey();
    const body = { nodeId: node.id, slices: 1, durationHours: 2 };
    const first = await user.POST("/v1/leases", { params: { header: idempotent(key) }, body });
    const again = await user.POST("/v1/leases", { params: { header: idempotent(key) }, body });
    const lease = await unwrap(first);
    expect(first.response.status).toBe(201);
    expect(lease).toMatchObject({
      nodeId: node.id,
      slices: 1,
      status: "running",
      payerAccountId: account.id,
    });
    expect(wasReplayed(first.response)).toBe(false);
    expect(wasReplayed(again.response)).toBe(true);
    expect(await unwrap(again)).toEqual(lease);
    const after = await unwrap(user.GET("/v1/nodes/{id}", { params: { path: { id: node.id } } }));
    expect(after.freeSlices).toBe(6);
    const paid = await unwrap(user.GET("/v1/accounts/{id}", { params: { path: { id: account.id } } }));
    expect(Number(paid.balance.available)).toBeLessThan(1000);
  });

  it("throws a ProblemError carrying the code and the refused field", async () => {
    const tooMany = await unwrap(
      user.POST("/v1/leases", {
        params: { header: idempotent() },
        body: { nodeId: nodes[0]!.id, slices: 99, durationHours: 1 },
      }),
    ).catch((error: unknown) => error);
    expect(tooMany).toBeInstanceOf(ProblemError);
    const problem = tooMany as ProblemError;
    expect(problem.status).toBe(422);
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.fieldError("slices")?.detail).toContain("at most 7");
    expect(problem.requestId).toMatch(/^req_/);

    const badFilter = await unwrap(
      user.GET("/v1/market/slices", { params: { query: { minMemGb: "lots" } } }),
    ).catch((error: unknown) => error);
    expect(badFilter).toBeInstanceOf(ProblemError);
    expect((badFilter as ProblemError).errors.map((error) => error.field)).toEqual(["query.minMemGb"]);

    // The returned form: openapi-fetch's `error` is the typed problem, without throwing.
    const unauthenticated = await createClient({ baseUrl }).GET("/v1/leases/{id}", {
      params: { path: { id: "lse_unknown" } },
    });
    expect(unauthenticated.response.status).toBe(401);
    expect(unauthenticated.error?.code).toBe("UNAUTHENTICATED");
  });
});

type CliRun = { code: number; stdout: string; stderr: string };

/** Spawns `tfgrid` (the TypeScript entry through tsx) as a user would run it. */
function tfgrid(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", join(root, "sdk", "src", "cli", "main.ts"), ...args],
      {
        cwd: root,
        timeout: 60_000,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: configDirectory,
          TFGRID_CONFIG: join(configDirectory, "config.json"),
          TFGRID_URL: baseUrl,
          ...env,
        },
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

// Each spawn starts Node and tsx (a second or more on a busy machine): room beyond the project's 30 s.
describe("the tfgrid CLI against the real service", { timeout: 120_000 }, () => {
  it("searches the market: --json prints the listing, otherwise a table", async () => {
    const json = await tfgrid(["market", "search", "--region", region, "--min-mem", "1", "--json"]);
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    const listing = JSON.parse(json.stdout) as Schemas["SliceListing"];
    expect(listing.data.map((node) => node.id).sort()).toEqual(nodes.map((node) => node.id).sort());

    const text = await tfgrid(["market", "search", "--region", region, "--limit", "1"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^NODE\s+NAME\s+REGION/);
    expect(text.stdout).toContain(region);
    expect(text.stderr).toContain("more offers: add --cursor");
  });

  it("reserves with --json; the same --idempotency-key gives the same lease, marked replayed", async () => {
    const key = `cli-${run}-reserve`;
    const args = [
      "leases",
      "reserve",
      nodes[1]!.id,
      "--slices",
      "2",
      "--hours",
      "3",
      "--idempotency-key",
      key,
    ];
    const env = { TFGRID_API_KEY: userKey };
    const first = await tfgrid([...args, "--json"], env);
    expect(first.code).toBe(0);
    const lease = JSON.parse(first.stdout) as Schemas["Lease"];
    expect(lease).toMatchObject({ nodeId: nodes[1]!.id, slices: 2, status: "running" });
    expect(first.stderr).toContain(`Idempotency-Key: ${key}`);
    expect(first.stderr).not.toContain("replayed");

    const again = await tfgrid([...args, "--json"], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(lease);
    expect(again.stderr).toContain("replayed");

    const listed = await tfgrid(["leases", "list", "--account", account.id, "--json"], env);
    expect(listed.code).toBe(0);
    expect(
      (JSON.parse(listed.stdout) as { data: Schemas["Lease"][] }).data.map((entry) => entry.id),
    ).toContain(lease.id);
  });

  it("prices a node with --json, keeping its hourly price", async () => {
    const node = nodes[0]!;
    const priced = await tfgrid(["nodes", "price", node.id, "3.5", "--json"], { TFGRID_API_KEY: farmerKey });
    expect(priced.code).toBe(0);
    const updated = JSON.parse(priced.stdout) as Schemas["MarketNode"];
    expect(updated.prices.perSliceMonth).toBe("3.5");
    expect(updated.prices.perSliceHour).toBe(node.prices.perSliceHour);
  });

  it("exits 1 with the problem printed (title, code, each field with its flag) when the API refuses", async () => {
    const outside = await tfgrid(["nodes", "price", nodes[0]!.id, "100000"], { TFGRID_API_KEY: farmerKey });
    expect(outside.code).toBe(1);
    expect(outside.stdout).toBe("");
    expect(outside.stderr).toContain("PRICE_OUTSIDE_BAND, HTTP 422");
    expect(outside.stderr).toContain("- pricePerSliceMonth (<price>):");
    expect(outside.stderr).toMatch(/request id: req_/);

    const tooMany = await tfgrid(["leases", "reserve", nodes[0]!.id, "--slices", "99", "--hours", "1"], {
      TFGRID_API_KEY: userKey,
    });
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toContain("VALIDATION_FAILED");
    expect(tooMany.stderr).toContain("- slices (--slices): at most 7");

    const json = await tfgrid(["market", "search", "--min-mem", "lots", "--json"]);
    expect(json.code).toBe(1);
    const problem = JSON.parse(json.stderr) as { code: string; errors: { field: string }[] };
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.errors.map((error) => error.field)).toEqual(["query.minMemGb"]);

    const wrongRole = await tfgrid(["nodes", "price", nodes[0]!.id, "3"], { TFGRID_API_KEY: userKey });
    expect(wrongRole.code).toBe(1);
    expect(wrongRole.stderr).toContain("FORBIDDEN, HTTP 403");
  });

  it("exits 2 on a usage error and 3 when nothing answers", async () => {
    const missing = await tfgrid(["leases", "reserve", nodes[0]!.id, "--hours", "1"], {
      TFGRID_API_KEY: userKey,
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--slices is required");

    const noKey = await tfgrid(["balance", account.id]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("TFGRID_API_KEY");

    const down = await tfgrid(["market", "search"], { TFGRID_URL: "http://127.0.0.1:9" });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain("did not answer");
  });

  it("places an exit bid (replayed by its key) and reports a farmer's earnings", async () => {
    // The user's own TFP (funded by the admin) and USDC accounts, in a round of a pool of this test.
    const [tfp, usdc] = await Promise.all(
      (["TFP", "USDC"] as const).map((asset) =>
        unwrap(admin.POST("/v1/accounts", { body: { ownerId: userId, asset, kind: "user" } })),
      ),
    );
    await unwrap(
      admin.POST("/v1/transfers", {
        params: { header: idempotent() },
        body: {
          transfers: [
            {
              type: "posted",
              debitAccountId: "acc_issuance_tfp",
              creditAccountId: tfp!.id,
              asset: "TFP",
              amount: "1000",
              code: "manual_adjustment",
            },
          ],
        },
      }),
    );
    const pool = await unwrap(admin.POST("/v1/pools", { body: { name: `SDK pool ${run}` } }));
    // The close counts from the service's clock, which another file may have moved ahead of this machine's.
    const serviceNowMs = Date.parse((await unwrap(admin.GET("/v1/dev/clock"))).now);
    const round = await unwrap(
      admin.POST("/v1/auctions", {
        params: { header: idempotent() },
        body: {
          poolId: pool.id,
          closesAt: new Date(serviceNowMs + 2 * 3_600_000).toISOString(),
          reference: { source: "fixed", price: "0.1" },
        },
      }),
    );
    const args = ["auctions", "bid", round.id, "--amount", "500", "--min-price", "0.05"];
    const accounts = ["--account", tfp!.id, "--payout", usdc!.id, "--idempotency-key", `cli-${run}-bid`];
    const env = { TFGRID_API_KEY: userKey };
    const placed = await tfgrid([...args, ...accounts, "--json"], env);
    expect(placed.code).toBe(0);
    const bid = JSON.parse(placed.stdout) as Schemas["AuctionBid"];
    expect(bid).toMatchObject({
      roundId: round.id,
      amount: "500.0000000",
      status: "held",
      accountId: tfp!.id,
    });
    const again = await tfgrid([...args, ...accounts, "--json"], env);
    expect(JSON.parse(again.stdout)).toEqual(bid);
    expect(again.stderr).toContain("replayed");
    const held = await unwrap(user.GET("/v1/accounts/{id}", { params: { path: { id: tfp!.id } } }));
    expect(held.balance.available).toBe("500.0000000");

    const swapped = await tfgrid([...args, "--account", usdc!.id, "--payout", usdc!.id], env);
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toContain("- accountId (--account): must hold TFP");

    const report = await tfgrid(["earnings", "--farmer", farmerId, "--json"], { TFGRID_API_KEY: farmerKey });
    expect(report.code).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ farmerId, currency: "CC" });
  });

  it("shows a balance from the key in TFGRID_API_KEY and the account in the config file", async () => {
    writeFileSync(join(configDirectory, "config.json"), JSON.stringify({ accountId: account.id }));
    const shown = await tfgrid(["balance", "--json"], { TFGRID_API_KEY: userKey });
    writeFileSync(join(configDirectory, "config.json"), "{}\n");
    expect(shown.code).toBe(0);
    const balance = JSON.parse(shown.stdout) as Schemas["Account"];
    expect(balance.id).toBe(account.id);
    expect(Number(balance.balance.available)).toBeLessThan(1000);
  });
});
