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

/** An amount with its unit, e.g. "12.5 USD"; "–" when absent. */
export function amount(value, unit, decimals = 2) {
  if (value === null || value === undefined) return "–";
  return `${number(value, decimals)} ${unit}`;
}

/** A `{ USD, CC }` pair as "12.00 USD · 93.75 CC" (the CC part only when the peg gave one). */
export function money(pair, decimals = 2) {
  if (!pair) return "–";
  const parts = [];
  if (pair.USD !== null && pair.USD !== undefined) parts.push(`${number(pair.USD, decimals, decimals)} USD`);
  if (pair.CC !== null && pair.CC !== undefined) parts.push(`${number(pair.CC, decimals, decimals)} CC`);
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

/** Fills a `<tbody>` with rows of cell texts. */
export function fillRows(tbody, rows) {
  tbody.replaceChildren(
    ...rows.map((cells) => {
      const row = document.createElement("tr");
      for (const cell of cells) {
        row.append(cell instanceof Node ? wrapCell(cell) : element("td", String(cell)));
      }
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
