/**
 * Drives the Worker's real queue handler the way Cloudflare Queues would, on the service's clock:
 * messages wait until their delay has passed (the test moves the clock with `shiftClock`, never
 * sleeps), a retried message comes back with one more attempt, and what the consumer sends
 * (the next event of a subject, dead letters) is collected. Only the platform's queue is stood
 * in for: the handler, the consumer and the database are the real ones.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import type { DeliveryMessage } from "../../../src/events/consumer";
import { enqueueDueDeliveries } from "../../../src/events/consumer";
import { now, shiftClock } from "../../../src/kit/clock";
import worker from "../../../src/worker";
import { database } from "../../support/harness";

type Waiting = { id: string; body: DeliveryMessage; attempts: number; availableAtMs: number };

export class QueueDriver {
  private waiting: Waiting[] = [];
  private counter = 0;
  readonly deadLetters: DeliveryMessage[] = [];
  /** Every batch the handler ran: how many messages, how many retried. */
  readonly batches: { size: number; retried: number }[] = [];

  private readonly queue = {
    send: async (body: DeliveryMessage, options?: QueueSendOptions) => {
      this.add(body, 1, now() + (options?.delaySeconds ?? 0) * 1000);
    },
    sendBatch: async (messages: Iterable<{ body: DeliveryMessage }>) => {
      for (const message of messages) this.add(message.body);
    },
  } as unknown as Queue<DeliveryMessage>;

  private readonly deadQueue = {
    send: async (body: DeliveryMessage) => {
      this.deadLetters.push(body);
    },
    sendBatch: async (messages: Iterable<{ body: DeliveryMessage }>) => {
      for (const message of messages) this.deadLetters.push(message.body);
    },
  } as unknown as Queue<DeliveryMessage>;

  /** The Worker's env with this driver's queues in place of the platform's. */
  readonly env = { ...env, WEBHOOK_DELIVERIES: this.queue, WEBHOOK_DEAD_LETTERS: this.deadQueue } as Env;

  private add(body: DeliveryMessage, attempts = 1, availableAtMs = now()): void {
    this.counter += 1;
    this.waiting.push({ id: `msg_${this.counter}`, body, attempts, availableAtMs });
  }

  /**
   * Runs the outbox sweep into this queue, keeping only the deliveries of `endpointIds` (the
   * database is shared with other test files, whose due deliveries are theirs to deliver).
   */
  async sweep(endpointIds: readonly string[]): Promise<number> {
    const all = new QueueDriver();
    await enqueueDueDeliveries(all.env, database(), now());
    const ids = all.waiting.map((message) => message.body.deliveryId);
    const mine = await database().execute({
      sql: "SELECT id FROM webhook_deliveries WHERE id IN (SELECT value FROM json_each(?)) AND endpoint_id IN (SELECT value FROM json_each(?))",
      args: [JSON.stringify(ids), JSON.stringify(endpointIds)],
    });
    const kept = new Set(mine.rows.map((row) => String(row.id)));
    for (const id of ids) if (kept.has(id)) this.add({ deliveryId: id });
    return kept.size;
  }

  /** Delivers batches until the queue is empty, moving the clock to each retry; returns the clock moved. */
  async drain(roundsMax = 200): Promise<number> {
    let shiftedMs = 0;
    for (let round = 0; round < roundsMax; round++) {
      if (this.waiting.length === 0) return shiftedMs;
      const nowMs = now();
      const ready = this.waiting.filter((message) => message.availableAtMs <= nowMs);
      if (ready.length === 0) {
        const nextMs = Math.min(...this.waiting.map((message) => message.availableAtMs));
        shiftClock(nextMs - nowMs);
        shiftedMs += nextMs - nowMs;
        continue;
      }
      this.waiting = this.waiting.filter((message) => message.availableAtMs > nowMs);
      const batch = createMessageBatch<DeliveryMessage>(
        "tfgrid-market-webhooks",
        ready.map((message) => ({
          id: message.id,
          timestamp: nowMs,
          attempts: message.attempts,
          body: message.body,
        })),
      );
      // The local runtime's queue result does not report a retry's delay: record it on the way.
      const delays = new Map<string, number>();
      const messages = batch.messages.map(
        (message): Message<DeliveryMessage> => ({
          id: message.id,
          timestamp: message.timestamp,
          attempts: message.attempts,
          body: message.body,
          retry: (options?: QueueRetryOptions) => {
            delays.set(message.id, options?.delaySeconds ?? 0);
            message.retry(options);
          },
          ack: () => message.ack(),
        }),
      );
      const recording: MessageBatch<DeliveryMessage> = {
        queue: batch.queue,
        metadata: batch.metadata,
        messages,
        ackAll: () => batch.ackAll(),
        retryAll: (options?: QueueRetryOptions) => batch.retryAll(options),
      };
      const context = createExecutionContext();
      await worker.queue!(recording as MessageBatch<unknown>, this.env, context);
      const result = await getQueueResult(batch, context);
      for (const retried of result.retryMessages) {
        const message = ready.find((candidate) => candidate.id === retried.msgId)!;
        this.waiting.push({
          ...message,
          attempts: message.attempts + 1,
          availableAtMs: now() + (delays.get(retried.msgId) ?? 0) * 1000,
        });
      }
      this.batches.push({ size: ready.length, retried: result.retryMessages.length });
    }
    throw new Error(`the queue did not drain in ${roundsMax} rounds`);
  }
}
