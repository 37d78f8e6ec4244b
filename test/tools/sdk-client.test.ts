// Proves the SDK's and the CLI's own rules without a server, through a recording fake fetch: the bearer header, a UUID Idempotency-Key when none is given, problem details (and bodies that are not) becoming ProblemError, cursors followed to the end and a repeated cursor stopped, the CLI's flags mapped to the market's query names, the config precedence (environment over file over default), and the exit codes 0/1/2/3 with the problem printed.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveSettings } from "../../sdk/src/cli/config.ts";
import { marketFilters, marketQuery } from "../../sdk/src/cli/market-filters.ts";
import { runCli } from "../../sdk/src/cli/run.ts";
import {
  createClient,
  idempotencyKey,
  idempotent,
  items,
  NetworkError,
  ProblemError,
  pages,
  unwrap,
} from "../../sdk/src/index.ts";

const directory = mkdtempSync(join(tmpdir(), "tfgrid-sdk-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

/** A fetch that records each request and answers from `answer`. */
function fakeFetch(answer: (request: Request) => Answer) {
  const requests: Request[] = [];
  const fetch = async (request: Request) => {
    requests.push(request);
    const { status, body, headers } = answer(request);
    const problem = status >= 400 && typeof body === "object";
    return new Response(body === undefined ? null : typeof body === "string" ? body : JSON.stringify(body), {
      status,
      headers: {
        "content-type": problem ? "application/problem+json" : "application/json",
        ...headers,
      },
    });
  };
  return { fetch, requests };
}

const problem = (status: number, code: string, errors?: { field: string; detail: string }[]) => ({
  type: `urn:tfgrid-market:problem:${code.toLowerCase()}`,
  title: "Refused",
  status,
  detail: `refused: ${code}`,
  instance: "/v1/leases",
  code,
  requestId: "req_test",
  ...(errors === undefined ? {} : { errors }),
});

const lease = {
  id: "lse_1",
  nodeId: "node_a",
  ownerId: "usr_a",
  payerAccountId: "acc_a",
  kind: "onDemand",
  source: "reservation",
  sourceId: null,
  slices: 1,
  priceCcPerSliceHour: "0.078125",
  quoted: null,
  startedAt: "2026-12-04T00:00:00.000Z",
  endsAt: null,
  status: "running",
  pausedReason: null,
  graceUntil: null,
  settledThrough: "2026-12-04T00:00:00.000Z",
  charged: "0.000000",
  holdIds: [],
};

describe("the SDK client", () => {
  it("sends the key as a bearer token and the Idempotency-Key it is given, or a fresh UUID", async () => {
    const fake = fakeFetch(() => ({ status: 201, body: lease }));
    const client = createClient({ baseUrl: "http://api.test/", apiKey: "tfm_key", fetch: fake.fetch });
    const body = { nodeId: "node_a", slices: 1, durationHours: null };
    await unwrap(client.POST("/v1/leases", { params: { header: idempotent("chosen-key-1") }, body }));
    await unwrap(client.POST("/v1/leases", { params: { header: idempotent() }, body }));
    expect(fake.requests.map((request) => request.url)).toEqual([
      "http://api.test/v1/leases",
      "http://api.test/v1/leases",
    ]);
    expect(fake.requests[0]!.headers.get("authorization")).toBe("Bearer tfm_key");
    expect(fake.requests[0]!.headers.get("idempotency-key")).toBe("chosen-key-1");
    expect(fake.requests[1]!.headers.get("idempotency-key")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(() => idempotencyKey("short")).toThrow(RangeError);
    expect(idempotencyKey("exactly8")).toBe("exactly8");
  });

  it("sends no authorization header without a key", async () => {
    const fake = fakeFetch(() => ({ status: 200, body: { data: [], nextCursor: null, ccUsd: null } }));
    await unwrap(createClient({ baseUrl: "http://api.test", fetch: fake.fetch }).GET("/v1/market/slices"));
    expect(fake.requests[0]!.headers.has("authorization")).toBe(false);
  });

  it("turns problem details into a ProblemError with its code, fields, request id and Retry-After", async () => {
    const fake = fakeFetch(() => ({
      status: 429,
      body: problem(429, "RATE_LIMITED", [{ field: "slices", detail: "too many" }]),
      headers: { "retry-after": "60" },
    }));
    const client = createClient({ baseUrl: "http://api.test", apiKey: "k", fetch: fake.fetch });
    const error = await unwrap(client.GET("/v1/leases/{id}", { params: { path: { id: "lse_1" } } })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ProblemError);
    const refused = error as ProblemError;
    expect([refused.status, refused.code, refused.requestId, refused.retryAfterSeconds]).toEqual([
      429,
      "RATE_LIMITED",
      "req_test",
      60,
    ]);
    expect(refused.fieldError("slices")?.detail).toBe("too many");
  });

  it("gives a body that is not problem details a code from its status", async () => {
    const fake = fakeFetch(() => ({ status: 502, body: "<html>bad gateway</html>" }));
    const client = createClient({ baseUrl: "http://api.test", fetch: fake.fetch });
    const error = (await unwrap(client.GET("/v1/health")).catch((caught: unknown) => caught)) as ProblemError;
    expect(error).toBeInstanceOf(ProblemError);
    expect([error.status, error.code, error.errors]).toEqual([502, "HTTP_502", []]);
    expect(error.detail).toContain("bad gateway");
  });

  it("rejects with a NetworkError when no answer comes", async () => {
    const client = createClient({
      baseUrl: "http://api.test",
      fetch: async () => {
        throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") });
      },
    });
    const error = await client.GET("/v1/health").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).message).toBe(
      "GET http://api.test/v1/health got no answer: connect ECONNREFUSED",
    );
  });
});

describe("cursor pagination", () => {
  const cursors: Record<string, { data: number[]; nextCursor: string | null }> = {
    first: { data: [1, 2], nextCursor: "c2" },
    c2: { data: [3], nextCursor: "c3" },
    c3: { data: [], nextCursor: null },
  };

  it("follows each nextCursor until the last page", async () => {
    const asked: (string | undefined)[] = [];
    const collected: number[] = [];
    for await (const item of items(async (page) => {
      asked.push(page.cursor);
      return cursors[page.cursor ?? "first"]!;
    })) {
      collected.push(item);
    }
    expect(collected).toEqual([1, 2, 3]);
    expect(asked).toEqual([undefined, "c2", "c3"]);
  });

  it("stops at pagesMax, and with an error on a cursor it was already given", async () => {
    let calls = 0;
    const counted: number[] = [];
    for await (const page of pages(
      async () => {
        calls += 1;
        return { data: [calls], nextCursor: `c${calls}` };
      },
      { pagesMax: 3 },
    )) {
      counted.push(...page.data);
    }
    expect(counted).toEqual([1, 2, 3]);
    const loop = async () => {
      for await (const _ of pages(async () => ({ data: [0], nextCursor: "same" }))) {
        // consume
      }
    };
    await expect(loop()).rejects.toThrow("repeated the cursor same");
  });
});

describe("the CLI's market filters", () => {
  it("map the stable flags to the API's query names, integers as numbers and booleans as text", () => {
    expect(
      marketQuery({ "min-mem": "8", "max-price": "0.02", "min-free": "2", gpu: false, region: "eu-west" }),
    ).toEqual({
      minMemGb: "8",
      maxPricePerSliceHour: "0.02",
      minFreeSlices: 2,
      gpu: "false",
      region: "eu-west",
    });
    expect(() => marketQuery({ "min-free": "two" })).toThrow("--min-free takes a whole number");
    expect(Object.keys(marketFilters)).toContain("max-price-cc");
  });
});

describe("the CLI's settings", () => {
  it("take the environment over the config file over the default", () => {
    const file = join(directory, "config.json");
    writeFileSync(
      file,
      JSON.stringify({ url: "http://from-file:1", apiKey: "file-key", accountId: "acc_f" }),
    );
    const fromFile = resolveSettings({}, { TFGRID_CONFIG: file }, directory);
    expect([fromFile.baseUrl, fromFile.apiKey, fromFile.config.accountId]).toEqual([
      "http://from-file:1",
      "file-key",
      "acc_f",
    ]);
    const fromEnv = resolveSettings(
      {},
      { TFGRID_CONFIG: file, TFGRID_URL: "http://from-env:2", TFGRID_API_KEY: "env-key" },
      directory,
    );
    expect([fromEnv.baseUrl, fromEnv.apiKey]).toEqual(["http://from-env:2", "env-key"]);
    expect(
      resolveSettings({ url: "http://flag:3" }, { TFGRID_URL: "http://from-env:2" }, directory).baseUrl,
    ).toBe("http://flag:3");
    // No file at the default path (~/.config/tfgrid/config.json under this empty home): the defaults.
    expect(resolveSettings({}, {}, directory)).toMatchObject({
      baseUrl: "http://127.0.0.1:8787",
      apiKey: undefined,
    });
  });

  it("refuse a missing named config file and one that is not a JSON object of strings", () => {
    expect(() => resolveSettings({}, { TFGRID_CONFIG: join(directory, "absent.json") }, directory)).toThrow(
      "cannot read the config file",
    );
    const bad = join(directory, "bad.json");
    writeFileSync(bad, JSON.stringify({ apiKey: 42 }));
    expect(() => resolveSettings({}, { TFGRID_CONFIG: bad }, directory)).toThrow("apiKey in");
  });
});

/** Runs the CLI in-process against `answer`, collecting what it prints. */
async function cli(args: string[], answer: (request: Request) => Answer, env: Record<string, string> = {}) {
  const fake = fakeFetch(answer);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(
    args,
    { stdout: (text) => stdout.push(text), stderr: (text) => stderr.push(text) },
    {
      env: { TFGRID_URL: "http://api.test", TFGRID_API_KEY: "tfm_key", ...env },
      homeDirectory: directory,
      fetch: fake.fetch,
    },
  );
  return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n"), requests: fake.requests };
}

describe("the tfgrid CLI in-process", () => {
  it("exits 0 and prints the API's JSON with --json", async () => {
    const run = await cli(["leases", "show", "lse_1", "--json"], () => ({ status: 200, body: lease }));
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(lease);
    expect(run.requests[0]!.url).toBe("http://api.test/v1/leases/lse_1");
  });

  it("exits 1 and prints title, code and each field with the flag it came from", async () => {
    const run = await cli(["leases", "reserve", "node_a", "--slices", "9", "--hours", "1"], () => ({
      status: 422,
      body: problem(422, "VALIDATION_FAILED", [{ field: "slices", detail: "at most 7" }]),
    }));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: Refused (VALIDATION_FAILED, HTTP 422)");
    expect(run.stderr).toContain("  - slices (--slices): at most 7");
    expect(run.stderr).toContain("request id: req_test");
  });

  it("exits 3 on a 5xx answer and when nothing answers", async () => {
    const unavailable = await cli(["market", "search"], () => ({
      status: 503,
      body: problem(503, "DATABASE_UNAVAILABLE"),
      headers: { "retry-after": "5" },
    }));
    expect(unavailable.code).toBe(3);
    expect(unavailable.stderr).toContain("retry after 5 s");
    const down = await cli(["market", "search"], () => {
      throw new TypeError("fetch failed");
    });
    expect(down.code).toBe(3);
  });

  it("exits 2 on an unknown command, an unknown flag or a missing argument, without calling the API", async () => {
    const answer = () => ({ status: 200, body: lease });
    for (const args of [["leases", "fly"], ["leases", "show", "lse_1", "--colour"], ["leases", "show"], []]) {
      const run = await cli(args, answer);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.requests).toHaveLength(0);
    }
    const help = await cli(["market", "search", "--help"], answer);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--min-mem VALUE");
  });

  it("sends the market flags under the API's names and follows --all through every page", async () => {
    const run = await cli(
      ["market", "search", "--min-mem", "8", "--max-price", "0.02", "--all", "--json"],
      (request) => {
        const cursor = new URL(request.url).searchParams.get("cursor");
        return {
          status: 200,
          body: { data: [], nextCursor: cursor === null ? "5.node_b" : null, ccUsd: "0.128" },
        };
      },
    );
    expect(run.code).toBe(0);
    const queries = run.requests.map((request) => Object.fromEntries(new URL(request.url).searchParams));
    expect(queries).toEqual([
      { minMemGb: "8", maxPricePerSliceHour: "0.02" },
      { minMemGb: "8", maxPricePerSliceHour: "0.02", cursor: "5.node_b" },
    ]);
    expect(JSON.parse(run.stdout)).toEqual({ data: [], nextCursor: null, ccUsd: "0.128" });
  });

  it("keeps a node's hourly price when only the monthly one is given", async () => {
    const run = await cli(["nodes", "price", "node_a", "3.5"], (request) =>
      request.method === "GET"
        ? { status: 200, body: { prices: { perSliceHour: "0.012" } } }
        : {
            status: 422,
            body: problem(422, "PRICE_OUTSIDE_BAND", [{ field: "pricePerSliceMonth", detail: "outside" }]),
          },
    );
    const put = run.requests.find((request) => request.method === "PUT")!;
    expect(await put.json()).toEqual({ pricePerSliceMonth: "3.5", pricePerSliceHour: "0.012" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("- pricePerSliceMonth (<price>): outside");
  });
});
