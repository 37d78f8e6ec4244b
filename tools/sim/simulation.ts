/**
 * One seeded run of the whole economy with faults (the VOPR idea): set up the cast, then for
 * each step choose the step's faults (database errors and drops on a fraction of calls, the
 * database unreachable for a few steps, workerd restarted between or during calls), run one
 * weighted action, turn the faults off and check every invariant. The first step with a
 * violation ends the run; replaying the same seed for that many steps repeats it.
 */
import { type ActionName, act, actionWeights, type PendingCall, retryOne, runCron, setUp } from "./actions";
import type { FaultKind } from "./faults";
import { checkInvariants } from "./invariants";
import { Prng } from "./prng";
import { type Service, startService } from "./service";
import { type Violation, World } from "./world";

/** Probabilities per step (named, so a reader can weigh the run). */
export const faultyStepProbability = 0.3;
export const faultRateMin = 0.05;
export const faultRateMax = 0.3;
export const unreachableStartProbability = 0.03;
export const unreachableStepsMax = 3;
export const restartBetweenProbability = 0.02;
export const restartDuringProbability = 0.02;
/** Retries and deliveries attempted while draining at the end. */
const drainAttemptsMax = 200;

export type SimulationOptions = {
  readonly seed: number;
  readonly steps: number;
  /** Reuse a started service (a fresh one per run by default). */
  readonly service?: Service;
  /** Called after each step with its log lines (for --verbose). */
  readonly onStep?: (step: number, lines: readonly string[]) => void;
};

export type SimulationReport = {
  readonly seed: number;
  readonly stepsRun: number;
  readonly faults: Record<FaultKind | "restartBetween" | "restartDuring", number>;
  readonly actions: Record<string, number>;
  readonly outcomes: Record<string, number>;
  /** Calls by label, status and problem code. */
  readonly coverage: Record<string, number>;
  readonly violations: readonly Violation[];
  /** The last lines of the step log (all of it when a violation ended the run). */
  readonly log: readonly string[];
  readonly elapsedMs: number;
};

export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const startedMs = performance.now();
  const service = options.service ?? (await startService());
  const faultsBefore = { ...service.proxy.counts };
  service.feeds.reset();
  const random = new Prng(options.seed);
  const world = new World(service, random.fork("actors"), options.seed);
  const faultRandom = random.fork("faults");
  const retries: PendingCall[] = [];
  const actions: Record<string, number> = {};
  const restarts = { restartBetween: 0, restartDuring: 0 };
  let unreachableUntil = -1;
  let stepsRun = 0;
  try {
    await setUp(world, retries);
    await checkInvariants(world);
    for (let step = 1; step <= options.steps && world.violations.length === 0; step++) {
      world.step = step;
      stepsRun = step;
      const logFrom = world.log.length;
      // Faults for this step, from their own stream so the actors' choices do not shift with them.
      const stepFaults = faultRandom.fork(step);
      if (stepFaults.chance(restartBetweenProbability)) {
        restarts.restartBetween += 1;
        world.restarts += 1;
        world.note("workerd restarted between calls");
        await service.restart();
      }
      if (unreachableUntil < step && stepFaults.chance(unreachableStartProbability)) {
        unreachableUntil = step + stepFaults.int(unreachableStepsMax);
        world.note(`database unreachable through step ${unreachableUntil}`);
      }
      service.proxy.setUnreachable(step <= unreachableUntil);
      if (stepFaults.chance(faultyStepProbability)) {
        const rate = faultRateMin + stepFaults.next() * (faultRateMax - faultRateMin);
        service.proxy.arm({ rate, random: stepFaults.fork("requests") });
      }
      let restartDuring: Promise<void> | null = null;
      if (stepFaults.chance(restartDuringProbability)) {
        service.proxy.interceptNext(() => {
          restarts.restartDuring += 1;
          world.restarts += 1;
          world.note("workerd restarted during a call");
          restartDuring = service.restart();
        });
      }
      const action = world.random.weighted(actionWeights) as ActionName;
      actions[action] = (actions[action] ?? 0) + 1;
      world.note(`step ${step}: ${action}`);
      await act(world, retries, action);
      service.proxy.interceptNext(null);
      service.proxy.arm(null);
      service.proxy.setUnreachable(false);
      if (restartDuring !== null) await restartDuring;
      await checkInvariants(world);
      options.onStep?.(step, world.log.slice(logFrom));
    }
    if (world.violations.length === 0) {
      // The senders and clients catch up: every event delivered, every uncertain call retried.
      world.step = stepsRun + 1;
      world.note("drain");
      for (
        let attempt = 0;
        attempt < drainAttemptsMax && (retries.length > 0 || world.outbox.length > 0);
        attempt++
      ) {
        if (retries.length > 0) await retryOne(world, retries, 0);
        else await act(world, retries, "deliver");
      }
      await runCron(world);
      await checkInvariants(world);
    }
  } finally {
    service.proxy.arm(null);
    service.proxy.setUnreachable(false);
    if (options.service === undefined) await service.close();
  }
  const faults = Object.fromEntries(
    Object.entries(service.proxy.counts).map(([kind, count]) => [
      kind,
      count - (faultsBefore[kind as FaultKind] ?? 0),
    ]),
  ) as Record<FaultKind, number>;
  return {
    seed: options.seed,
    stepsRun,
    faults: { ...faults, ...restarts },
    actions,
    outcomes: world.outcomes,
    coverage: world.coverage,
    violations: world.violations,
    log: world.violations.length > 0 ? world.log : world.log.slice(-40),
    elapsedMs: performance.now() - startedMs,
  };
}
