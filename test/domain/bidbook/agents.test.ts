// Proves the bid book's rules for nodes run by an agent: a lease accepted on such a node starts provisioning and, charged from running, is paused (uncharged, keeping its slices) until its agent reports it running; failed is never charged; stopped ends it; a lease handed to the node anew (after a pre-emption, the node going offline, a pause for funds) provisions again; a lease still provisioning at its deadline ends then; charged from acceptance, only failed time goes uncharged; binding an agent keeps the node's current leases charged; slices are placed stably; and under any sequence of operations the book's invariants hold and a lease is charged exactly for the time its agent ran it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AgentSettings,
  acceptBid,
  type BidBook,
  bindAgent,
  chargeFor,
  duePeriods,
  endLease,
  freeSlices,
  markInsufficientFunds,
  match,
  placeBid,
  reportLease,
  reserve,
  resumeFunded,
  runningMsIn,
  setState,
} from "../../../src/market/core/bidbook";
import { placeSlices } from "../../../src/market/core/bidbook/placement";
import { failureOf, hourMs, leaseOf, newBook, next, startMs, statuses, unwrap } from "./support";

const minuteMs = 60_000;
const fromRunning: AgentSettings = { chargeFrom: "running", provisioningTimeoutMs: 30 * minuteMs };
const fromAcceptance: AgentSettings = { chargeFrom: "acceptance", provisioningTimeoutMs: 30 * minuteMs };

function agentBook(settings: AgentSettings = fromRunning): BidBook {
  return next(bindAgent(newBook(), settings, startMs));
}

function withLease(book: BidBook, name: string, slices: number, nowMs = startMs): BidBook {
  return next(reserve(book, { leaseId: `lse_${name}`, accountId: "acc_u", slices, durationMs: null, nowMs }));
}

/** Places `bid_<name>`; accepted by the farmer unless the book auto-accepts it. */
function withBid(book: BidBook, name: string, slices: number, price: string, nowMs = startMs): BidBook {
  const placed = next(
    placeBid(book, {
      bidId: `bid_${name}`,
      accountId: `acc_${name}`,
      slices,
      priceCcPerSliceHour: price,
      expiresAtMs: nowMs + hourMs,
      nowMs,
    }),
  );
  const bid = placed.bids.find((candidate) => candidate.id === `bid_${name}`);
  return bid?.status === "open" ? next(acceptBid(placed, `bid_${name}`, nowMs)) : placed;
}

function report(
  book: BidBook,
  name: string,
  status: "provisioning" | "running" | "failed" | "stopped",
  nowMs: number,
) {
  return next(reportLease(book, `lse_${name}`, status, nowMs));
}

describe("a node with an agent, charged from running", () => {
  it("starts a lease provisioning, paused and uncharged but holding its slices, until its agent reports it running", () => {
    const transition = unwrap(
      reserve(agentBook(), {
        leaseId: "lse_a",
        accountId: "acc_u",
        slices: 3,
        durationMs: null,
        nowMs: startMs,
      }),
    );
    const lease = leaseOf(transition.book, "lse_a");
    expect(lease).toMatchObject({
      status: "paused",
      pausedReason: "provisioning",
      agent: {
        status: "provisioning",
        sinceMs: startMs,
        chargeFromRunning: true,
        deadlineMs: startMs + 30 * minuteMs,
      },
    });
    expect(freeSlices(transition.book)).toBe(5);
    expect(transition.events.map((event) => event.type)).toEqual(["started", "paused"]);

    const running = report(transition.book, "a", "running", startMs + 10 * minuteMs);
    expect(leaseOf(running, "lse_a")).toMatchObject({ status: "running", agent: { status: "running" } });
    expect(leaseOf(running, "lse_a").agent?.deadlineMs).toBeUndefined();
    // An hour from the start: charged for the 50 minutes it ran.
    const [period] = duePeriods(leaseOf(running, "lse_a"), startMs + hourMs);
    expect(runningMsIn(leaseOf(running, "lse_a"), startMs, startMs + hourMs)).toBe(50 * minuteMs);
    expect(chargeFor(leaseOf(running, "lse_a"), period!)).toBe(2_500_000n); // 3 slices × 1 CC × 50/60 h
  });

  it("does not charge the time a lease is reported failed, and charges again once it runs", () => {
    let book = withLease(agentBook(), "a", 1);
    book = report(book, "a", "running", startMs);
    book = report(book, "a", "failed", startMs + 20 * minuteMs);
    expect(statuses(book)).toEqual({ lse_a: "paused:failed" });
    expect(freeSlices(book)).toBe(7);
    // Failed has no deadline: it waits for its agent.
    const later = next(match(book, startMs + 5 * hourMs));
    expect(statuses(later)).toEqual({ lse_a: "paused:failed" });
    const back = report(later, "a", "running", startMs + 5 * hourMs + 20 * minuteMs);
    expect(runningMsIn(leaseOf(back, "lse_a"), startMs, startMs + 6 * hourMs)).toBe(
      20 * minuteMs + 40 * minuteMs,
    );
  });

  it("ends a lease its agent reports stopped, and refuses reports on ended or unknown leases", () => {
    let book = withLease(agentBook(), "a", 2);
    book = report(book, "a", "running", startMs);
    const stopped = unwrap(reportLease(book, "lse_a", "stopped", startMs + hourMs));
    expect(leaseOf(stopped.book, "lse_a")).toMatchObject({ status: "ended", endsAtMs: startMs + hourMs });
    expect(stopped.events).toContainEqual(
      expect.objectContaining({ type: "ended", details: { cause: "stopped" } }),
    );
    expect(failureOf(reportLease(stopped.book, "lse_a", "running", startMs + hourMs))).toEqual({
      code: "CONFLICT",
      field: "leaseId",
    });
    expect(failureOf(reportLease(book, "lse_zz", "running", startMs))).toEqual({
      code: "NOT_FOUND",
      field: "leaseId",
    });
    expect(failureOf(reportLease(book, "lse_a", "asleep" as "running", startMs))).toEqual({
      code: "VALIDATION_FAILED",
      field: "status",
    });
  });

  it("cancels a lease still provisioning at its deadline, at the deadline, charging nothing", () => {
    const book = withLease(agentBook(), "a", 2);
    expect(statuses(next(match(book, startMs + 30 * minuteMs - 1)))).toEqual({
      lse_a: "paused:provisioning",
    });
    const timedOut = unwrap(match(book, startMs + 2 * hourMs));
    const lease = leaseOf(timedOut.book, "lse_a");
    expect(lease).toMatchObject({ status: "ended", endsAtMs: startMs + 30 * minuteMs });
    expect(timedOut.events).toContainEqual(
      expect.objectContaining({ type: "ended", details: { cause: "provisioning_timeout" } }),
    );
    const periods = duePeriods(leaseOf(book, "lse_a"), startMs + 2 * hourMs);
    expect(periods).toEqual([expect.objectContaining({ periodEndMs: startMs + 30 * minuteMs })]);
    expect(chargeFor(leaseOf(book, "lse_a"), periods[0]!)).toBe(0n);
    // Reporting provisioning again does not move the deadline; a report after it is too late.
    const reported = report(book, "a", "provisioning", startMs + 10 * minuteMs);
    expect(leaseOf(reported, "lse_a").agent?.deadlineMs).toBe(startMs + 30 * minuteMs);
    expect(failureOf(reportLease(book, "lse_a", "running", startMs + 31 * minuteMs)).code).toBe("CONFLICT");
  });

  it("hands a lease to the node anew after the node was offline: it provisions again, with a new deadline", () => {
    let book = withLease(agentBook(), "a", 2);
    book = report(book, "a", "running", startMs);
    book = next(setState(book, "offline", startMs + hourMs));
    expect(statuses(book)).toEqual({ lse_a: "paused:node_offline" });
    expect(leaseOf(book, "lse_a").agent?.deadlineMs).toBeUndefined();
    // Offline longer than the provisioning timeout: nothing is cancelled while the node is away.
    const back = unwrap(setState(book, "online", startMs + 3 * hourMs));
    expect(statuses(back.book)).toEqual({ lse_a: "paused:provisioning" });
    expect(leaseOf(back.book, "lse_a").agent).toMatchObject({
      status: "provisioning",
      sinceMs: startMs + 3 * hourMs,
      deadlineMs: startMs + 3 * hourMs + 30 * minuteMs,
    });
    expect(back.events).toContainEqual(
      expect.objectContaining({
        type: "agent_status",
        details: expect.objectContaining({ by: "book", status: "provisioning" }),
      }),
    );
    // A lease provisioning when the node goes offline keeps no deadline either.
    const provisioning = withLease(agentBook(), "b", 1);
    const away = next(setState(provisioning, "maintenance", startMs + minuteMs));
    expect(statuses(away)).toEqual({ lse_b: "paused:node_offline" });
    expect(statuses(next(match(away, startMs + 5 * hourMs)))).toEqual({ lse_b: "paused:node_offline" });
  });

  it("lets a higher bid pre-empt an interruptible lease still provisioning, and provisions it again when it resumes", () => {
    let book = next(bindAgent(newBook({ autoAcceptAboveCcPerSliceHour: "0.1" }), fromRunning, startMs));
    book = withBid(book, "low", 8, "0.2");
    expect(statuses(book)).toEqual({ lse_low: "paused:provisioning" });
    expect(freeSlices(book)).toBe(0);
    book = withBid(book, "high", 8, "0.5", startMs + minuteMs);
    expect(statuses(book)).toEqual({ lse_low: "paused:preempted", lse_high: "paused:provisioning" });
    expect(leaseOf(book, "lse_low").agent?.deadlineMs).toBeUndefined();
    book = report(book, "high", "running", startMs + 2 * minuteMs);
    const ended = next(endLease(book, "lse_high", startMs + hourMs));
    expect(statuses(ended)).toEqual({ lse_low: "paused:provisioning", lse_high: "ended" });
    expect(leaseOf(ended, "lse_low").agent).toMatchObject({
      status: "provisioning",
      sinceMs: startMs + hourMs,
    });
  });

  it("provisions again a lease that was paused for funds when its funds come back", () => {
    let book = withLease(agentBook(), "a", 2);
    book = report(book, "a", "running", startMs);
    book = next(markInsufficientFunds(book, "lse_a", startMs + hourMs, 24 * hourMs));
    expect(statuses(book)).toEqual({ lse_a: "paused:insufficient_funds" });
    book = next(resumeFunded(book, "lse_a", startMs + 2 * hourMs));
    expect(statuses(book)).toEqual({ lse_a: "paused:provisioning" });
  });
});

describe("a node with an agent, charged from acceptance", () => {
  it("charges a provisioning lease from acceptance, but not while failed, and still cancels it at the deadline", () => {
    let book = withLease(agentBook(fromAcceptance), "a", 1);
    expect(leaseOf(book, "lse_a")).toMatchObject({
      status: "running",
      agent: { status: "provisioning", chargeFromRunning: false, deadlineMs: startMs + 30 * minuteMs },
    });
    book = report(book, "a", "running", startMs + 5 * minuteMs);
    book = report(book, "a", "failed", startMs + 10 * minuteMs);
    expect(statuses(book)).toEqual({ lse_a: "paused:failed" });
    book = report(book, "a", "running", startMs + 40 * minuteMs);
    expect(runningMsIn(leaseOf(book, "lse_a"), startMs, startMs + hourMs)).toBe(
      10 * minuteMs + 20 * minuteMs,
    );
    const unstarted = withLease(agentBook(fromAcceptance), "b", 1);
    expect(statuses(next(match(unstarted, startMs + hourMs)))).toEqual({ lse_b: "ended" });
  });
});

describe("binding an agent", () => {
  it("keeps the node's current leases charged as before, as running, and applies to new leases only", () => {
    let book = withLease(newBook(), "old", 2);
    expect(leaseOf(book, "lse_old").agent).toBeUndefined();
    expect(failureOf(reportLease(book, "lse_old", "running", startMs)).code).toBe("CONFLICT");
    book = next(bindAgent(book, fromRunning, startMs + minuteMs));
    expect(leaseOf(book, "lse_old")).toMatchObject({
      status: "running",
      agent: { status: "running", chargeFromRunning: false },
    });
    book = withLease(book, "new", 1, startMs + 2 * minuteMs);
    expect(statuses(book)).toEqual({ lse_old: "running", lse_new: "paused:provisioning" });
    // New settings apply to leases accepted after them; a lease keeps how it is charged.
    book = next(bindAgent(book, fromAcceptance, startMs + 3 * minuteMs));
    expect(statuses(book)).toEqual({ lse_old: "running", lse_new: "paused:provisioning" });
    expect(
      failureOf(bindAgent(book, { chargeFrom: "running", provisioningTimeoutMs: 0 }, startMs + 3 * minuteMs))
        .code,
    ).toBe("VALIDATION_FAILED");
  });
});

describe("slice placement", () => {
  it("keeps a lease's slices while it holds them and gives new leases the lowest free ones", () => {
    let book = withLease(newBook(), "a", 2);
    book = withLease(book, "b", 3);
    let placement = placeSlices(book, new Map());
    expect(Object.fromEntries(placement)).toEqual({ lse_a: [0, 1], lse_b: [2, 3, 4] });
    book = next(endLease(book, "lse_a", startMs + minuteMs));
    book = withLease(book, "c", 3, startMs + minuteMs);
    placement = placeSlices(book, placement);
    expect(Object.fromEntries(placement)).toEqual({ lse_b: [2, 3, 4], lse_c: [0, 1, 5] });
  });
});

/** Random operations on a book with an agent: the invariants hold after each, and charges follow the agent. */
describe("properties", () => {
  const operation = fc.oneof(
    fc.record({ type: fc.constant("reserve" as const), slices: fc.integer({ min: 1, max: 4 }) }),
    fc.record({
      type: fc.constant("bid" as const),
      slices: fc.integer({ min: 1, max: 4 }),
      price: fc.constantFrom("0.2", "0.5", "2"),
    }),
    fc.record({
      type: fc.constant("report" as const),
      pick: fc.nat({ max: 20 }),
      status: fc.constantFrom("provisioning", "running", "failed", "stopped", "running", "running"),
    }),
    fc.record({ type: fc.constant("state" as const), state: fc.constantFrom("online", "offline", "online") }),
    fc.record({ type: fc.constant("end" as const), pick: fc.nat({ max: 20 }) }),
    fc.record({ type: fc.constant("funds" as const), pick: fc.nat({ max: 20 }), resume: fc.boolean() }),
  );

  it("keep the book's invariants and charge each lease only while it runs with its agent's word", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(operation, fc.integer({ min: 0, max: 40 * minuteMs })), { maxLength: 40 }),
        fc.constantFrom(fromRunning, fromAcceptance),
        (steps, settings) => {
          let book = next(bindAgent(newBook({ autoAcceptAboveCcPerSliceHour: "0.1" }), settings, startMs));
          let nowMs = startMs;
          /** Per lease: when it was last seen running (charged), and its charged milliseconds so far. */
          const charged = new Map<string, { since: number | null; totalMs: number }>();
          const observe = () => {
            for (const lease of book.leases) {
              const entry = charged.get(lease.id) ?? { since: null, totalMs: 0 };
              const runs = lease.status === "running";
              if (runs && entry.since === null) entry.since = nowMs;
              if (!runs && entry.since !== null) {
                entry.totalMs += (lease.status === "ended" ? (lease.endsAtMs ?? nowMs) : nowMs) - entry.since;
                entry.since = null;
              }
              charged.set(lease.id, entry);
              // Running means charged, and charged means the agent's word allows it.
              if (runs && settings.chargeFrom === "running") expect(lease.agent?.status).toBe("running");
              if (runs) expect(lease.agent?.status).not.toBe("failed");
            }
            const placement = placeSlices(book, new Map());
            expect([...placement.values()].flat().length).toBe(8 - freeSlices(book));
          };
          let counter = 0;
          for (const [step, advanceMs] of steps) {
            // Time-driven ends (the provisioning deadline) happen inside the next transition.
            const caughtUp = next(match(book, nowMs + advanceMs));
            nowMs += advanceMs;
            book = caughtUp;
            observe();
            counter += 1;
            const pickLease = (pick: number) => book.leases[pick % Math.max(1, book.leases.length)];
            let result = null;
            if (step.type === "reserve") {
              result = reserve(book, {
                leaseId: `lse_r${counter}`,
                accountId: "acc_u",
                slices: step.slices,
                durationMs: null,
                nowMs,
              });
            } else if (step.type === "bid") {
              const placed = placeBid(book, {
                bidId: `bid_b${counter}`,
                accountId: `acc_${counter % 3}`,
                slices: step.slices,
                priceCcPerSliceHour: step.price,
                expiresAtMs: nowMs + hourMs,
                nowMs,
              });
              result = placed;
            } else if (step.type === "report") {
              const lease = pickLease(step.pick);
              if (lease) result = reportLease(book, lease.id, step.status as "running", nowMs);
            } else if (step.type === "state") {
              result = setState(book, step.state as "online", nowMs);
            } else if (step.type === "end") {
              const lease = pickLease(step.pick);
              if (lease) result = endLease(book, lease.id, nowMs);
            } else {
              const lease = pickLease(step.pick);
              if (lease) {
                result = step.resume
                  ? resumeFunded(book, lease.id, nowMs)
                  : markInsufficientFunds(book, lease.id, nowMs, hourMs);
              }
            }
            if (result?.ok) book = result.value.book;
            observe();
          }
          // What settlement would charge each lease up to now is its observed running time.
          for (const lease of book.leases) {
            const entry = charged.get(lease.id)!;
            const endMs = lease.status === "ended" ? (lease.endsAtMs ?? nowMs) : nowMs;
            const openMs = entry.since === null ? 0 : endMs - entry.since;
            expect(runningMsIn(lease, lease.startedAtMs, endMs)).toBe(entry.totalMs + openMs);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
