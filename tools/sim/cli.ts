/**
 * `npm run sim -- --seed S --steps N` runs one seeded simulation; `--seeds A..B` runs each seed
 * in the range, each on a fresh service (`--shared`: all on one).
 * Prints seeds × steps, faults injected by kind, calls by outcome and every violation with the
 * step log and the command that replays it. `--verbose` prints each step's log as it runs;
 * `--stats` prints calls by label, status and problem code (what the run covered).
 * Exit code 1 when any seed found a violation. `SIM_RUNTIME_LOG=file` appends everything the
 * Worker and the Durable Objects log (workerd's output) to `file`, to see what the service did.
 */

import { startService } from "./service";
import { runSimulation, type SimulationReport } from "./simulation";

/** Largest seed range one command accepts. */
const seedsMax = 10_000;
const stepsDefault = 200;

function parseArguments(argv: readonly string[]): {
  seeds: number[];
  steps: number;
  verbose: boolean;
  shared: boolean;
  stats: boolean;
} {
  let seeds: number[] = [1];
  let steps = stepsDefault;
  let verbose = false;
  let shared = false;
  let stats = false;
  for (let index = 0; index < argv.length; index++) {
    const name = argv[index];
    const value = argv[index + 1] ?? "";
    if (name === "--seed") {
      seeds = [Number.parseInt(value, 10)];
      index++;
    } else if (name === "--seeds") {
      const match = /^([0-9]+)\.\.([0-9]+)$/.exec(value);
      if (match === null) throw new Error("--seeds takes a range like 1..50");
      const [low, high] = [Number(match[1]), Number(match[2])];
      if (high < low || high - low + 1 > seedsMax)
        throw new Error(`--seeds: at most ${seedsMax} seeds, low..high`);
      seeds = Array.from({ length: high - low + 1 }, (_, offset) => low + offset);
      index++;
    } else if (name === "--steps") {
      steps = Number.parseInt(value, 10);
      index++;
    } else if (name === "--verbose") {
      verbose = true;
    } else if (name === "--stats") {
      stats = true;
    } else if (name === "--shared") {
      shared = true;
    } else {
      throw new Error(
        `unknown argument ${name}; use --seed S | --seeds A..B, --steps N, --verbose, --stats, --shared`,
      );
    }
  }
  if (seeds.some((seed) => !Number.isSafeInteger(seed) || seed < 0))
    throw new Error("seeds are non-negative integers");
  if (!Number.isSafeInteger(steps) || steps < 0) throw new Error("--steps is a non-negative integer");
  return { seeds, steps, verbose, shared, stats };
}

function add(total: Record<string, number>, part: Record<string, number>): void {
  for (const [key, value] of Object.entries(part)) total[key] = (total[key] ?? 0) + value;
}

async function main(): Promise<void> {
  const { seeds, steps, verbose, shared: sharing, stats } = parseArguments(process.argv.slice(2));
  // A fresh service per seed, so a seed replays alone; --shared runs them all on one (faster to
  // start, and a seed then also proves it did not break what earlier seeds left, but replaying a
  // failure needs the same earlier seeds).
  let shared = sharing ? await startService() : undefined;
  const reports: SimulationReport[] = [];
  const faults: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const coverage: Record<string, number> = {};
  try {
    for (const seed of seeds) {
      const report = await runSimulation({
        seed,
        steps,
        ...(shared === undefined ? {} : { service: shared }),
        ...(verbose
          ? { onStep: (_step: number, lines: readonly string[]) => console.log(lines.join("\n")) }
          : {}),
      });
      reports.push(report);
      add(faults, report.faults);
      add(outcomes, report.outcomes);
      add(coverage, report.coverage);
      const faultText = Object.entries(report.faults)
        .map(([kind, count]) => `${kind} ${count}`)
        .join(", ");
      console.log(
        `seed ${seed}: ${report.stepsRun} steps in ${(report.elapsedMs / 1000).toFixed(1)} s; faults: ${faultText}; ${report.violations.length === 0 ? "ok" : `${report.violations.length} VIOLATION(S)`}`,
      );
      if (report.violations.length > 0) {
        for (const violation of report.violations)
          console.log(`  step ${violation.step} ${violation.invariant}: ${violation.detail}`);
        console.log(`  log:\n${report.log.map((line) => `    ${line}`).join("\n")}`);
        const first = report.violations[0]!.step;
        if (shared !== undefined) {
          // A broken invariant is global: later seeds start from a clean service.
          await shared.close();
          shared = await startService();
        }
        const asRun = shared === undefined ? "" : ` (as run here: --seeds ${seeds[0]}..${seed} --shared)`;
        console.log(`  replay: npm run sim -- --seed ${seed} --steps ${first}${asRun}`);
      }
    }
  } finally {
    await shared?.close();
  }
  if (stats) {
    console.log("\ncalls by label, status and code:");
    for (const [call, count] of Object.entries(coverage).sort(([left], [right]) =>
      left.localeCompare(right),
    )) {
      console.log(`${String(count).padStart(6)}  ${call}`);
    }
  }
  const failed = reports.filter((report) => report.violations.length > 0);
  const totalSteps = reports.reduce((sum, report) => sum + report.stepsRun, 0);
  console.log(
    `\n${reports.length} seeds × ${steps} steps (${totalSteps} run); faults injected: ${JSON.stringify(faults)}; calls: ${JSON.stringify(outcomes)}; violations: ${failed.length === 0 ? "none" : failed.map((report) => `seed ${report.seed} step ${report.violations[0]!.step} ${report.violations[0]!.invariant}`).join("; ")}`,
  );
  process.exitCode = failed.length === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 2;
});
