/**
 * The book's alarm: when it next has something to do, on the service's clock (src/kit/clock.ts),
 * set in real time for the platform (`toRealMs`).
 */
import { now, toRealMs } from "../../kit/clock";
import { settlementPeriodMsDefault } from "../core/bidbook";
import type { BookStorage } from "./storage";
import { isClosed } from "./views";

/** Delay before retrying money work that failed or could not finish. */
export const retryMs = 60_000;

/** When the book next has something to do; null when nothing is pending. */
export function nextWakeMs(state: BookStorage, nowMs: number, lastPassFailed: boolean): number | null {
  const book = state.requireBook();
  let wake = Number.POSITIVE_INFINITY;
  const at = (ms: number) => {
    if (ms < wake) wake = ms;
  };
  for (const lease of book.leases) {
    if (lease.status === "ended") {
      if (lease.endsAtMs !== null && lease.settledThroughMs < lease.endsAtMs) at(nowMs);
      continue;
    }
    const periods = Math.floor((lease.settledThroughMs - lease.startedAtMs) / settlementPeriodMsDefault);
    at(lease.startedAtMs + (periods + 1) * settlementPeriodMsDefault);
    if (lease.endsAtMs !== null) at(lease.endsAtMs);
    if (lease.graceUntilMs !== undefined) at(lease.graceUntilMs);
    // A lease its agent has not reported running is cancelled, and its hold released, on time.
    if (lease.agent?.deadlineMs !== undefined) at(lease.agent.deadlineMs);
  }
  for (const bid of book.bids) if (bid.status === "open") at(bid.expiresAtMs);
  for (const funding of state.funding.values()) {
    if (funding.holdIds.length > 0 && isClosed(book, funding)) at(lastPassFailed ? nowMs + retryMs : nowMs);
    if (funding.lastFailure !== null) at(nowMs + retryMs);
  }
  if (state.mirrorDirty || lastPassFailed) at(nowMs + retryMs);
  return Number.isFinite(wake) ? wake : null;
}

export class BookAlarm {
  /** The alarm as set, in real time; null when none is set. */
  private atRealMs: number | null = null;
  /** Whether the last money pass met a failure: the book wakes again after `retryMs`. */
  lastPassFailed = false;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly state: BookStorage,
  ) {}

  /** Reads the alarm storage holds (at start-up). */
  async load(): Promise<void> {
    this.atRealMs = await this.storage.getAlarm();
  }

  /** The alarm fired: none is set any more. */
  fired(): void {
    this.atRealMs = null;
  }

  /** Sets the alarm to the next wake, or deletes it when nothing is pending. */
  async schedule(): Promise<void> {
    const wake = nextWakeMs(this.state, now(), this.lastPassFailed);
    if (wake === null) {
      if (this.atRealMs !== null) await this.storage.deleteAlarm();
      this.atRealMs = null;
      return;
    }
    const realMs = this.realMsOf(wake);
    if (this.atRealMs === realMs) return;
    await this.storage.setAlarm(realMs);
    this.atRealMs = realMs;
  }

  /** Brings the alarm forward to `wakeMs` if it is later or unset. */
  async scheduleIfEarlier(wakeMs: number): Promise<void> {
    const realMs = this.realMsOf(wakeMs);
    if (this.atRealMs !== null && this.atRealMs <= realMs) return;
    await this.storage.setAlarm(realMs);
    this.atRealMs = realMs;
  }

  /** A wake in real time, never in the past. */
  private realMsOf(wakeMs: number): number {
    return Math.max(toRealMs(now()) + 1, toRealMs(wakeMs));
  }
}
