/**
 * Leases on a node run by an agent (ECONOMICS §17 as the node agents read it): the agent's word on
 * each lease decides whether it is charged. Every transition ends with `settleAgents`, which puts
 * the agent's status into the lease's status, so every other rule (capacity, pre-emption, the node
 * going offline, funds) stays as it was and the agent's part is applied in one place:
 *
 * - A lease the node must run (`isAssigned`) is charged unless its agent reported it `failed`, or
 *   it is still `provisioning` and charged from `running` only: then it is paused with that reason
 *   (paused time is never charged, settlement.ts), keeping its slices.
 * - A lease handed to the node anew (accepted, or resumed after a pre-emption, the node being
 *   offline or a pause for funds) starts `provisioning`: the node must start it again.
 * - A lease still `provisioning` `provisioningTimeoutMs` after it was handed to the node is ended
 *   at that time (`deadlineMs`, cause `provisioning_timeout`; capacity.ts `advanceClock`).
 */
import { invariant } from "../../../kit/errors";
import { pause, resume, type Work } from "./draft";
import { agentPause, type BidBook, isAssigned, type LeaseAgent } from "./model";

/** The agent's part of a lease accepted now on `book`: provisioning, when the node has an agent. */
export function newLeaseAgent(book: Pick<BidBook, "agent">, nowMs: number): { agent?: LeaseAgent } {
  if (book.agent === undefined) return {};
  return {
    agent: { status: "provisioning", sinceMs: nowMs, chargeFromRunning: book.agent.chargeFrom === "running" },
  };
}

function withoutDeadline(agent: LeaseAgent): LeaseAgent {
  const { deadlineMs: _deadlineMs, ...rest } = agent;
  return rest;
}

/**
 * Applies each agent's word to its lease at the end of a transition (see the module comment):
 * `before` is the transition's input, whose leases keep their indices in the draft.
 */
export function settleAgents(before: BidBook, work: Work): void {
  const { book, nowMs } = work;
  book.leases.forEach((lease, index) => {
    const agent = lease.agent;
    if (agent === undefined) return;
    if (lease.status === "ended") {
      if (agent.deadlineMs !== undefined) lease.agent = withoutDeadline(agent);
      return;
    }
    const settings = book.agent;
    invariant(settings !== undefined, () => `lease ${lease.id} has an agent on a node without one`);
    const previous = before.leases[index];
    invariant(
      previous === undefined || previous.id === lease.id,
      "settleAgents: a transition reordered leases",
    );
    const assigned = isAssigned(lease);
    let next = agent;
    if (assigned && previous !== undefined && !isAssigned(previous)) {
      next = { status: "provisioning", sinceMs: nowMs, chargeFromRunning: agent.chargeFromRunning };
    }
    if (assigned) {
      const reason = agentPause({ agent: next });
      if (reason === undefined) {
        if (lease.status === "paused") resume(lease, nowMs);
      } else if (lease.status === "running") {
        pause(lease, reason, nowMs);
      } else {
        lease.pausedReason = reason;
      }
    }
    const provisioning = assigned && next.status === "provisioning";
    if (provisioning && next.deadlineMs === undefined) {
      next = { ...next, deadlineMs: next.sinceMs + settings.provisioningTimeoutMs };
    } else if (!provisioning && next.deadlineMs !== undefined) {
      next = withoutDeadline(next);
    }
    if (next !== agent) lease.agent = next;
  });
}
