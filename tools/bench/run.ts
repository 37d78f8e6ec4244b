/**
 * `npm run bench [name…]`: runs every benchmark module in tools/bench (or those whose file name
 * starts with a given name) and prints its figures. A module exports `run()`, resolving to
 * `{ name, lines }`, `{ name, figures }` or a plain object of figures. Benches assert nothing.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const directory = import.meta.dirname;
const only = process.argv.slice(2);
const files = readdirSync(directory)
  .filter((file) => file.endsWith(".ts") && file !== "run.ts" && !file.startsWith("_"))
  .filter((file) => only.length === 0 || only.some((name) => file.startsWith(name)))
  .sort();

function linesOf(result: unknown): string[] {
  if (typeof result !== "object" || result === null) return [String(result)];
  const record = result as Record<string, unknown>;
  if (Array.isArray(record.lines)) return record.lines.map(String);
  const figures = (
    typeof record.figures === "object" && record.figures !== null ? record.figures : record
  ) as Record<string, unknown>;
  return Object.entries(figures)
    .filter(([key]) => key !== "name")
    .map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`);
}

for (const file of files) {
  const module = (await import(pathToFileURL(join(directory, file)).href)) as {
    run?: () => Promise<unknown>;
  };
  if (typeof module.run !== "function") continue;
  const started = performance.now();
  const result = await module.run();
  const name = typeof result === "object" && result !== null && "name" in result ? String(result.name) : file;
  console.log(`\n## ${name}  (${file}, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  for (const line of linesOf(result)) console.log(`  ${line}`);
}
