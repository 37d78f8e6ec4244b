/**
 * Display formatting. The API sends decimal strings at full precision; the dashboard rounds only
 * for display, here.
 */

/** A decimal string or number shown with `decimals` (at most) decimal places, grouped. */
export function number(value, decimals = 2, minimumDecimals = 0) {
  if (value === null || value === undefined || value === "") return "–";
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) return String(value);
  return parsed.toLocaleString("en-US", {
    minimumFractionDigits: Math.min(minimumDecimals, decimals),
    maximumFractionDigits: decimals,
  });
}

/** Most decimals any amount is shown with (CC has 6 minor digits, TFT 7; 8 covers every asset). */
const decimalsMax = 8;

/**
 * The decimals that show `value` without rounding it away: `minimumDecimals` for amounts of 1 and
 * more, and for smaller ones enough to keep `significant` significant digits (0.000335 → 7, so it
 * reads "0.0003350", not "0.00"), at most 8.
 */
export function decimalsFor(value, minimumDecimals = 2, significant = 4) {
  const size = Math.abs(Number(value));
  if (!Number.isFinite(size) || size === 0 || size >= 1) return minimumDecimals;
  const leadingZeros = -Math.floor(Math.log10(size)) - 1;
  return Math.min(decimalsMax, Math.max(minimumDecimals, leadingZeros + significant));
}

/**
 * An amount at a precision that fits it: `minimumDecimals` fixed decimals (2: "23.44"), more for
 * small amounts so they never show as zero ("0.0003350"). The one formatter of money on the pages.
 */
export function precise(value, minimumDecimals = 2) {
  if (value === null || value === undefined || value === "") return "–";
  const decimals = decimalsFor(value, minimumDecimals);
  return number(value, decimals, minimumDecimals);
}

/** An amount with its unit at a precision that fits it, e.g. "12.50 USD", "0.0003350 CC"; "–" when absent. */
export function amount(value, unit, minimumDecimals = 2) {
  if (value === null || value === undefined) return "–";
  return `${precise(value, minimumDecimals)} ${unit}`;
}

/** CC at a precision that fits the amount. */
export function cc(value, minimumDecimals = 2) {
  return amount(value, "CC", minimumDecimals);
}

/** A `{ USD, CC }` pair as "12.00 USD · 93.75 CC" (the CC part only when the peg gave one). */
export function money(pair, minimumDecimals = 2) {
  if (!pair) return "–";
  const parts = [];
  if (pair.USD !== null && pair.USD !== undefined) parts.push(amount(pair.USD, "USD", minimumDecimals));
  if (pair.CC !== null && pair.CC !== undefined) parts.push(amount(pair.CC, "CC", minimumDecimals));
  return parts.length > 0 ? parts.join(" · ") : "–";
}

/** A ratio in [0, 1] as a percentage. */
export function percent(value, decimals = 1) {
  if (value === null || value === undefined) return "–";
  return `${number(Number(value) * 100, decimals, decimals)} %`;
}

/** An ISO time as local date and time. */
export function time(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString("en-GB");
}

/** Creates an element with text and attributes (no HTML parsing: safe for API data). */
export function element(tag, text = "", attributes = {}) {
  const node = document.createElement(tag);
  if (text !== "") node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/**
 * Fills a `<tbody>` with rows of cell texts or nodes. Each data cell gets its column's header text
 * as `data-label` (what a `table.cards` shows before it on a phone).
 */
export function fillRows(tbody, rows) {
  const labels = [...(tbody.closest("table")?.querySelectorAll("thead th") ?? [])].map((th) =>
    th.textContent.trim(),
  );
  tbody.replaceChildren(
    ...rows.map((cells) => {
      const row = document.createElement("tr");
      cells.forEach((cell, index) => {
        const node = cell instanceof Node ? wrapCell(cell) : element("td", String(cell));
        if (node.tagName === "TD" && labels[index]) node.dataset.label = labels[index];
        row.append(node);
      });
      return row;
    }),
  );
}

function wrapCell(node) {
  if (node.tagName === "TD" || node.tagName === "TH") return node;
  const cell = document.createElement("td");
  cell.append(node);
  return cell;
}
