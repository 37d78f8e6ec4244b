/**
 * The webhook delivery queue's consumer (wrangler.toml `[[queues.consumers]]`, src/worker.ts
 * `queue`). Each message names one delivery. The consumer claims it (src/events/deliveries.ts),
 * signs the event with the Standard Webhooks scheme (`standardwebhooks`, every secret the endpoint
 * signs with at once: the current one and, during a rotation's grace, the previous one), POSTs it
 * with a timeout, and records the attempt. A 2xx delivers it and goes on with the next pending
 * event of the same subject (`deliverChain`); anything else retries the message after the backoff
 * (src/events/core/backoff.ts); after the last attempt the delivery is failed and its message goes
 * to the dead-letter queue.
 *
 * Delivery is at least once: the `webhook-id` header is the event id on every attempt, so a
 * receiver that keeps the ids it processed sees each event once.
 */
import type { Client } from "@libsql/client";
import { Webhook } from "standardwebhooks";
import { now, toRealMs } from "../kit/clock";
import { retryDelaySeconds } from "./core/backoff";
import {
  type AttemptOutcome,
  type ClaimedDelivery,
  claimStatements,
  dueDeliveries,
  markDeadLettered,
  nextOfSubject,
  outcomeStatements,
  readClaim,
} from "./deliveries";
import { signingSecrets } from "./endpoints";
import { eventJson } from "./store";

/** A delivery queue message: which delivery to attempt. */
export type DeliveryMessage = { readonly deliveryId: string };

/** Longest wait for a receiver's answer, unless WEBHOOK_TIMEOUT_MS says otherwise: 10 s. */
export const deliveryTimeoutMsDefault = 10_000;
/** Most messages one `sendBatch` takes (Cloudflare Queues' limit). */
const sendBatchMax = 100;

/** What the consumer needs of the Worker's env. */
export type DeliveryEnv = {
  readonly WEBHOOK_DELIVERIES: Queue<DeliveryMessage>;
  readonly WEBHOOK_DEAD_LETTERS: Queue<DeliveryMessage>;
  readonly WEBHOOK_TIMEOUT_MS?: string;
};

function timeoutMsOf(env: DeliveryEnv): number {
  const configured = Number(env.WEBHOOK_TIMEOUT_MS);
  return Number.isSafeInteger(configured) && configured > 0 ? configured : deliveryTimeoutMsDefault;
}

/** The signed request of a delivery: Standard Webhooks headers over the JSON body. */
export function signedRequest(
  delivery: ClaimedDelivery,
  secrets: readonly string[],
  nowMs: number,
): RequestInit {
  const event = eventJson(delivery.event);
  const body = JSON.stringify({ type: event.type, timestamp: event.at, data: event });
  const sentAt = new Date(toRealMs(nowMs));
  const signature = secrets.map((secret) => new Webhook(secret).sign(event.id, sentAt, body)).join(" ");
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "tfgrid-market-webhooks/1",
      "webhook-id": event.id,
      "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
      "webhook-signature": signature,
    },
    body,
  };
}

/** POSTs the delivery and reads the answer's status, within `timeoutMs`. */
async function post(
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<{ statusCode: number | null; error: string | null }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, { ...init, signal: controller.signal, redirect: "manual" });
    await response.body?.cancel();
    const ok = response.status >= 200 && response.status < 300;
    return { statusCode: response.status, error: ok ? null : `HTTP ${response.status}` };
  } catch (error) {
    return {
      statusCode: null,
      error: controller.signal.aborted
        ? `no answer within ${timeoutMs} ms`
        : `request failed: ${String(error)}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** What to do with a delivery's message after an attempt. */
export type MessageVerdict = { ack: true } | { ack: false; delaySeconds: number };

/** An attempt's verdict, and the subject's next pending delivery once this one is settled. */
export type AttemptResult = { verdict: MessageVerdict; next: string | null };

/**
 * Most deliveries of one subject a message delivers one after another in the same invocation
 * (the next one is then enqueued): a subject's events need not wait for a queue batch each.
 */
export const chainedDeliveriesMax = 20;

/** One attempt of one delivery: claim, sign, POST, record. Returns what to do with its message. */
export async function attemptDelivery(
  env: DeliveryEnv,
  db: Client,
  deliveryId: string,
): Promise<AttemptResult> {
  const claimedAtMs = now();
  const delivery = readClaim(await db.batch(claimStatements(deliveryId, claimedAtMs), "write"));
  // Not due, settled, behind an earlier pending event of its subject, or claimed by another
  // message: nothing to do (the earlier one's settling, or the outbox sweep, enqueues it).
  if (delivery === null) return { verdict: { ack: true }, next: null };
  let outcome: AttemptOutcome;
  if (delivery.endpoint === null || delivery.endpoint.disabledAtMs !== null) {
    const error = delivery.endpoint === null ? "endpoint deleted" : "endpoint disabled";
    outcome = { statusCode: null, error, durationMs: 0, next: { status: "failed" } };
  } else {
    const request = signedRequest(delivery, signingSecrets(delivery.endpoint, claimedAtMs), claimedAtMs);
    const answer = await post(delivery.endpoint.url, request, timeoutMsOf(env));
    const delay = retryDelaySeconds(delivery.attempts);
    outcome = {
      ...answer,
      durationMs: now() - claimedAtMs,
      next:
        answer.error === null
          ? { status: "delivered" }
          : delay === null
            ? { status: "failed" }
            : { status: "pending", retryAtMs: now() + delay * 1000 },
    };
  }
  const nowMs = now();
  const results = await db.batch(outcomeStatements(delivery, outcome, nowMs), "write");
  if (outcome.next.status === "failed" && delivery.endpoint !== null) {
    await env.WEBHOOK_DEAD_LETTERS.send({ deliveryId });
  }
  return outcome.next.status === "pending"
    ? {
        verdict: { ack: false, delaySeconds: Math.ceil((outcome.next.retryAtMs - nowMs) / 1000) },
        next: null,
      }
    : { verdict: { ack: true }, next: nextOfSubject(results) };
}

/**
 * A message's delivery, then the following pending deliveries of its subject in the same
 * invocation (at most `chainedDeliveriesMax`): a chained one that fails is enqueued with its
 * backoff delay, and what is left of the chain after the bound is enqueued.
 */
export async function deliverChain(
  env: DeliveryEnv,
  db: Client,
  deliveryId: string,
): Promise<MessageVerdict> {
  const first = await attemptDelivery(env, db, deliveryId);
  let next = first.next;
  for (let chained = 0; next !== null && chained < chainedDeliveriesMax; chained++) {
    const attempt = await attemptDelivery(env, db, next);
    if (!attempt.verdict.ack) {
      await env.WEBHOOK_DELIVERIES.send({ deliveryId: next }, { delaySeconds: attempt.verdict.delaySeconds });
      next = null;
    } else next = attempt.next;
  }
  if (next !== null) await env.WEBHOOK_DELIVERIES.send({ deliveryId: next });
  return first.verdict;
}

/**
 * The consumer of the delivery queue: every message's delivery attempted at once (distinct
 * subjects in parallel; one subject's order is kept by the claim). A message whose attempt throws
 * (the database unreachable) is retried by the queue after 30 s, and after `max_retries` it goes
 * to the dead-letter queue.
 */
export async function consumeDeliveries(
  batch: MessageBatch<DeliveryMessage>,
  env: DeliveryEnv,
  db: Client,
): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        const verdict = await deliverChain(env, db, message.body.deliveryId);
        if (verdict.ack) message.ack();
        else message.retry({ delaySeconds: verdict.delaySeconds });
      } catch (error) {
        console.error(
          JSON.stringify({
            level: "error",
            event: "webhook_delivery",
            deliveryId: message.body.deliveryId,
            error: String(error),
          }),
        );
        message.retry({ delaySeconds: 30 });
      }
    }),
  );
}

/** The consumer of the dead-letter queue: marks what arrives failed (if still pending) and acknowledges it. */
export async function consumeDeadLetters(batch: MessageBatch<DeliveryMessage>, db: Client): Promise<void> {
  const nowMs = now();
  for (const message of batch.messages) {
    await markDeadLettered(db, message.body.deliveryId, nowMs);
    message.ack();
  }
}

/**
 * The outbox sweep (a scheduled step, every minute, and soon after a write: `sweepSoon`):
 * enqueues every due delivery at the head of its subject, so an event whose immediate enqueue was
 * lost (or never made: most events are written by other areas' batches) is delivered within a
 * minute at worst.
 */
export async function enqueueDueDeliveries(
  env: DeliveryEnv,
  db: Client,
  nowMs: number,
): Promise<{ enqueued: number }> {
  const due = await dueDeliveries(db, nowMs);
  for (let start = 0; start < due.length; start += sendBatchMax) {
    await env.WEBHOOK_DELIVERIES.sendBatch(
      due.slice(start, start + sendBatchMax).map((deliveryId) => ({ body: { deliveryId } })),
    );
  }
  return { enqueued: due.length };
}

/** Least time between two sweeps one isolate starts after writes: 1 s. */
export const sweepAfterWritesIntervalMs = 1_000;
/** When this isolate's next sweep after a write starts (real time), while it has not yet. */
let pendingSweepAtMs: number | null = null;
/** When this isolate's last sweep after a write started (real time). */
let lastSweepAtMs = Number.NEGATIVE_INFINITY;

/**
 * The outbox sweep soon after a write that may have created deliveries (an API request that
 * changed something): the deliveries its events made reach the queue within about a second,
 * not at the next minute's sweep. One isolate starts at most one such sweep a second: a write
 * while one is waiting to start leaves it to that one (it reads after this write), else it waits
 * for the second to end. Returns the sweep to keep the request alive for (`waitUntil`), or null
 * when a waiting one covers this write. Real time, not the service's clock: it paces the
 * database, it decides nothing. A failed sweep is logged; the minute's sweep covers it.
 */
export function sweepSoon(env: DeliveryEnv, db: Client): Promise<void> | null {
  const atMs = Date.now();
  if (pendingSweepAtMs !== null && pendingSweepAtMs >= atMs) return null;
  const startAtMs = Math.max(atMs, lastSweepAtMs + sweepAfterWritesIntervalMs);
  pendingSweepAtMs = startAtMs;
  return (async () => {
    if (startAtMs > atMs) await new Promise((resolve) => setTimeout(resolve, startAtMs - atMs));
    if (pendingSweepAtMs === startAtMs) pendingSweepAtMs = null;
    lastSweepAtMs = Date.now();
    try {
      await enqueueDueDeliveries(env, db, now());
    } catch (error) {
      console.error(
        JSON.stringify({ level: "error", event: "webhook_sweep_after_write", error: String(error) }),
      );
    }
  })();
}
