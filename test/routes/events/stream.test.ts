// Proves GET /v1/events/stream: the caller's events as Server-Sent Events (id = seq, event = type, data = the event's JSON), resumed after Last-Event-ID or `after`, new events sent while the stream is open, nobody else's events, and a bad cursor refused with a 422 naming the header.
import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { call, type Seeded, seedKey } from "../../support/harness";
import { ccMinor, fundedUser, registerNode, reserve, setPeg } from "../market/support";

type SseMessage = {
  id: string;
  event: string;
  data: { id: string; seq: string; type: string; subjectId: string };
};

function parse(text: string): SseMessage[] {
  return text
    .split("\n\n")
    .map((block) =>
      Object.fromEntries(
        block.split("\n").flatMap((line) => {
          const match = /^(id|event|data): (.*)$/.exec(line);
          return match ? [[match[1]!, match[2]!]] : [];
        }),
      ),
    )
    .filter((fields) => fields.data !== undefined)
    .map((fields) => ({ id: fields.id!, event: fields.event!, data: JSON.parse(fields.data!) }));
}

async function open(user: Seeded, query: string, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`http://market.test/v1/events/stream${query}`, {
    headers: { authorization: `Bearer ${user.key}`, ...headers },
  });
}

describe("GET /v1/events/stream", () => {
  beforeAll(async () => {
    await setPeg();
  });

  it("sends the caller's events and resumes after Last-Event-ID", async () => {
    const farmer = await seedKey("farmer");
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const leases = [await reserve(user, node.id, 1, 5), await reserve(user, node.id, 1, 5)];
    const response = await open(user, "?follow=false&type=lease.started");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const messages = parse(await response.text());
    expect(messages.map((message) => message.data.subjectId)).toEqual(leases.map((lease) => lease.body.id));
    expect(messages.map((message) => message.event)).toEqual(["lease.started", "lease.started"]);
    expect(messages.map((message) => message.id)).toEqual(messages.map((message) => message.data.seq));
    const resumed = parse(
      await (await open(user, "?follow=false", { "last-event-id": messages[0]!.id })).text(),
    );
    expect(resumed.map((message) => message.data.subjectId)).toEqual([leases[1]!.body.id]);
    const stranger = await seedKey("user");
    expect(parse(await (await open(stranger, "?follow=false")).text())).toEqual([]);
  });

  it("sends an event written while the stream is open", async () => {
    const farmer = await seedKey("farmer");
    const node = await registerNode(farmer);
    const user = await fundedUser(100n * ccMinor);
    const response = await open(user, "");
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const lease = await reserve(user, node.id, 1, 5);
    expect(lease.status).toBe(201);
    let text = "";
    for (let reads = 0; reads < 200 && !text.includes(lease.body.id); reads++) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
    await reader.cancel();
    expect(text.startsWith("retry: ")).toBe(true);
    expect(parse(text).map((message) => message.data.subjectId)).toContain(lease.body.id);
  });

  it("refuses a bad cursor with a 422 naming it", async () => {
    const user = await seedKey("user");
    const response = await call<{ errors: { field: string }[] }>("GET", "/v1/events/stream", {
      key: user.key,
      headers: { "last-event-id": "x1" },
    });
    expect(response.status).toBe(422);
    expect(response.body.errors.map((error) => error.field).join(",")).toMatch(/last-event-id/);
    const badType = await call<{ errors: { field: string }[] }>("GET", "/v1/events/stream?type=nope", {
      key: user.key,
    });
    expect(badType.body.errors.map((error) => error.field)).toContain("query.type");
  });
});
