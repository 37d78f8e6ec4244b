/** Helpers of the events and webhook tests: the local receiver (test/setup/webhook-receiver.ts) and endpoints. */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { randomBase62 } from "../../../src/kit/ids";
import { call, type Seeded } from "../../support/harness";

export type ReceivedDelivery = {
  webhookId: string;
  verified: boolean;
  action: string;
  type: string | null;
  subjectId: string | null;
  signatures: number;
};
export type ReceiverLog = { received: ReceivedDelivery[]; processed: string[]; payloads: unknown[] };

/** The receiver's base URL (a binding set in vitest.config.ts). */
export function receiverUrl(): string {
  return (env as unknown as { WEBHOOK_RECEIVER_URL: string }).WEBHOOK_RECEIVER_URL;
}

/** A fresh receiver path, configured with its secrets and script. */
export async function hook(secrets: string[], script: string[] = []): Promise<{ path: string; url: string }> {
  const path = `/hooks/${randomBase62(10)}`;
  await configure(path, { secrets, script });
  return { path, url: `${receiverUrl()}${path}` };
}

export async function configure(
  path: string,
  input: { secrets?: string[]; script?: string[] },
): Promise<void> {
  const response = await fetch(`${receiverUrl()}/__configure`, {
    method: "POST",
    body: JSON.stringify({ path, ...input }),
  });
  expect(response.status).toBe(200);
}

export async function receiverLog(path: string): Promise<ReceiverLog> {
  const response = await fetch(`${receiverUrl()}/__log?path=${encodeURIComponent(path)}`);
  return (await response.json()) as ReceiverLog;
}

export type CreatedEndpoint = { id: string; secret: string; url: string; eventTypes: string[] };

/** Registers an endpoint through the API (201 expected). */
export async function createEndpoint(
  owner: Seeded,
  url: string,
  eventTypes: string[],
): Promise<CreatedEndpoint> {
  const response = await call<CreatedEndpoint>("POST", "/v1/webhook-endpoints", {
    key: owner.key,
    body: { url, eventTypes },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

/** Registers an endpoint at a fresh receiver path that verifies with the endpoint's secret. */
export async function endpointAtReceiver(
  owner: Seeded,
  eventTypes: string[],
  script: string[] = [],
): Promise<CreatedEndpoint & { path: string }> {
  const target = await hook([], script);
  const endpoint = await createEndpoint(owner, target.url, eventTypes);
  await configure(target.path, { secrets: [endpoint.secret] });
  return { ...endpoint, path: target.path };
}
