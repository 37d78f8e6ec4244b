/**
 * Global setup of the workerd test project: a local stand-in of Stripe's API, so card checkout is
 * tested through the real `stripe` library without reaching Stripe. It answers
 * `POST /v1/checkout/sessions` like Stripe (a Checkout Session object; the same session again for
 * a repeated Idempotency-Key, as Stripe does) and records each request (headers and form fields).
 * Tests read and reset it through `GET /__requests` and `POST /__reset {"mode"}`, where the mode
 * makes the next sessions succeed (`ok`), be refused as invalid (`refuse`, 400) or fail (`fail`, 500).
 * Its URL is provided as `stripeApiUrl` (the Worker's STRIPE_API_BASE binding, vitest.config.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    stripeApiUrl: string;
  }
}

/** One request the stand-in received. */
export type RecordedStripeRequest = {
  method: string;
  path: string;
  headers: Record<string, string>;
  form: Record<string, string>;
};

type Mode = "ok" | "refuse" | "fail";

const recordedHeaders = ["authorization", "idempotency-key", "stripe-version", "content-type", "user-agent"];

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    "content-type": "application/json",
    "request-id": `req_standin_${Date.now()}`,
  });
  response.end(JSON.stringify(body));
}

export default async function setup(project: TestProject) {
  let mode: Mode = "ok";
  let sessionCount = 0;
  const requests: RecordedStripeRequest[] = [];
  const sessionsByKey = new Map<string, Record<string, unknown>>();

  const server = createServer(async (request, response) => {
    const path = request.url ?? "/";
    const text = await bodyOf(request);
    if (path === "/__requests" && request.method === "GET") return send(response, 200, requests);
    if (path === "/__reset" && request.method === "POST") {
      requests.length = 0;
      mode = ((JSON.parse(text || "{}") as { mode?: Mode }).mode ?? "ok") as Mode;
      return send(response, 200, { mode });
    }
    if (path !== "/v1/checkout/sessions" || request.method !== "POST") {
      return send(response, 404, {
        error: {
          type: "invalid_request_error",
          message: `Unrecognized request URL (${request.method}: ${path})`,
        },
      });
    }
    const form = Object.fromEntries(new URLSearchParams(text));
    const headers = Object.fromEntries(
      recordedHeaders.flatMap((name) => {
        const value = request.headers[name];
        return typeof value === "string" ? [[name, value]] : [];
      }),
    );
    requests.push({ method: request.method, path, headers, form });
    if (mode === "refuse") {
      return send(response, 400, {
        error: {
          type: "invalid_request_error",
          code: "parameter_invalid_integer",
          param: "line_items[0][price_data][unit_amount]",
          message: "Invalid integer (stand-in refusal) for key sk_test_****_key",
        },
      });
    }
    if (mode === "fail")
      return send(response, 500, { error: { type: "api_error", message: "stand-in failure" } });
    const key = headers["idempotency-key"] ?? "";
    const earlier = sessionsByKey.get(key);
    if (earlier) return send(response, 200, earlier);
    sessionCount += 1;
    const id = `cs_test_standin_${sessionCount}`;
    const session = {
      id,
      object: "checkout.session",
      amount_total:
        Number(form["line_items[0][price_data][unit_amount]"] ?? 0) *
        Number(form["line_items[0][quantity]"] ?? 1),
      currency: form["line_items[0][price_data][currency]"] ?? null,
      client_reference_id: form.client_reference_id ?? null,
      metadata: Object.fromEntries(
        Object.entries(form).flatMap(([name, value]) => {
          const match = /^metadata\[(.+)\]$/.exec(name);
          return match ? [[match[1], value]] : [];
        }),
      ),
      mode: form.mode ?? null,
      payment_intent: null,
      payment_status: "unpaid",
      status: "open",
      success_url: form.success_url ?? null,
      cancel_url: form.cancel_url ?? null,
      url: `https://checkout.stripe.test/c/pay/${id}`,
    };
    if (key !== "") sessionsByKey.set(key, session);
    return send(response, 200, session);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("stripeApiUrl", `http://127.0.0.1:${port}`);
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
