/** Plain-text output: aligned tables and key/value blocks, no colours (safe in pipes and logs). */

/** `rows` under `headers`, columns padded to their widest cell, two spaces apart. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

/** `label: value` lines with the values aligned; null and undefined values show as `-`. */
export function fields(
  entries: readonly (readonly [string, string | number | boolean | null | undefined])[],
): string {
  const width = Math.max(...entries.map(([label]) => label.length));
  return entries
    .map(
      ([label, value]) =>
        `${`${label}:`.padEnd(width + 1)} ${value === null || value === undefined ? "-" : String(value)}`,
    )
    .join("\n");
}

/**
 * A decimal string cut to `places` decimals for reading (`2.2857142857…` → `2.28…`); the `…`
 * says it was cut. Display only: `--json` prints the exact value.
 */
export function shortDecimal(text: string, places = 2): string {
  const match = /^(-?[0-9]+)\.([0-9]+)$/.exec(text);
  if (match === null || match[2]!.length <= places) return text;
  return `${match[1]}.${match[2]!.slice(0, places)}…`;
}
