/**
 * Global setup of the workerd test project: a webhook receiver, the outside world that outbound
 * webhooks are delivered to. It verifies every delivery's signatures with the official Standard
 * Webhooks library (`standardwebhooks`, the library the service signs with), and processes each
 * `webhook-id` once, as the scheme asks receivers to (a repeat is answered 204 and not processed
 * again).
 *
 * Each test uses its own path (`/hooks/<name>`). Tests control and read it through
 * `POST /__configure {path, secrets, script}` — the secrets to verify with, and a script of how to
 * answer the next requests: `ok` (verify, process, 204), `500` (answer 500), `hang` (never answer:
 * the service's timeout), `drop` (reset the connection: the receiver down or restarting) — and
 * `GET /__log?path=…` (every request received, and the ids processed, in order). Its URL is
 * provided as `webhookReceiverUrl`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    webhookReceiverUrl: string;
  }
}

export type ReceiverAction = "ok" | "500" | "hang" | "drop";

/** One request the receiver got. */
export type ReceivedDelivery = {
  webhookId: string;
  verified: boolean;
  action: ReceiverAction;
  type: string | null;
  subjectId: string | null;
  signatures: number;
};

type Hook = {
  secrets: string[];
  script: ReceiverAction[];
  received: ReceivedDelivery[];
  processed: string[];
  payloads: unknown[];
};

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(response: ServerResponse, status: number, body?: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(body === undefined ? undefined : JSON.stringify(body));
}

function verify(secrets: readonly string[], text: string, headers: IncomingMessage["headers"]): boolean {
  const flat = Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) => (typeof value === "string" ? [[name, value]] : [])),
  );
  return secrets.some((secret) => {
    try {
      new Webhook(secret).verify(text, flat);
      return true;
    } catch {
      return false;
    }
  });
}

export default async function setup(project: TestProject) {
  const hooks = new Map<string, Hook>();
  const hookOf = (path: string): Hook => {
    let hook = hooks.get(path);
    if (!hook) {
      hook = { secrets: [], script: [], received: [], processed: [], payloads: [] };
      hooks.set(path, hook);
    }
    return hook;
  };

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://receiver");
    const text = await bodyOf(request);
    if (url.pathname === "/__configure" && request.method === "POST") {
      const input = JSON.parse(text) as { path: string; secrets?: string[]; script?: ReceiverAction[] };
      const hook = hookOf(input.path);
      if (input.secrets) hook.secrets = input.secrets;
      if (input.script) hook.script = [...input.script];
      return send(response, 200, { ok: true });
    }
    if (url.pathname === "/__log" && request.method === "GET") {
      const hook = hookOf(url.searchParams.get("path") ?? "");
      return send(response, 200, {
        received: hook.received,
        processed: hook.processed,
        payloads: hook.payloads,
      });
    }
    if (!url.pathname.startsWith("/hooks/") || request.method !== "POST") return send(response, 404);
    const hook = hookOf(url.pathname);
    const action = hook.script.shift() ?? "ok";
    const webhookId = String(request.headers["webhook-id"] ?? "");
    const verified = verify(hook.secrets, text, request.headers);
    let payload: { type?: string; data?: { subjectId?: string } } = {};
    try {
      payload = JSON.parse(text) as typeof payload;
    } catch {
      // recorded as received with no type
    }
    hook.received.push({
      webhookId,
      verified,
      action,
      type: payload.type ?? null,
      subjectId: payload.data?.subjectId ?? null,
      signatures: String(request.headers["webhook-signature"] ?? "")
        .split(" ")
        .filter(Boolean).length,
    });
    if (action === "drop") return request.socket.destroy();
    if (action === "hang") return; // never answered: the sender's timeout ends it
    if (action === "500") return send(response, 500, { error: "receiver failure" });
    if (!verified) return send(response, 401, { error: "bad signature" });
    if (!hook.processed.includes(webhookId)) {
      hook.processed.push(webhookId);
      hook.payloads.push(payload);
    }
    return send(response, 204);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("webhookReceiverUrl", `http://127.0.0.1:${port}`);
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
