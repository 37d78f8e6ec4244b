/**
 * Keyset cursors for lists ordered by a time and an id (the id breaks ties): a page continues
 * strictly after the previous page's last item, so a row written between two pages neither
 * repeats nor shifts the next page. The API shows a cursor as `<epoch ms>:<id>`.
 */

/** The last item of a page: its time (epoch ms) and id. */
export type TimeCursor = { atMs: number; id: string };

/**
 * The condition "after `cursor`" on `timeColumn`, `idColumn` in `order` (ascending: later;
 * descending: earlier), with its arguments; an always-true condition without a cursor.
 */
export function afterCursor(
  timeColumn: string,
  idColumn: string,
  cursor: TimeCursor | null,
  order: "asc" | "desc",
): { sql: string; args: (string | number)[] } {
  if (cursor === null) return { sql: "1 = 1", args: [] };
  const beyond = order === "asc" ? ">" : "<";
  return {
    sql: `(${timeColumn} ${beyond} ? OR (${timeColumn} = ? AND ${idColumn} ${beyond} ?))`,
    args: [cursor.atMs, cursor.atMs, cursor.id],
  };
}

/** The page of `rows` read with `limit + 1` and the cursor after its last item (null: the last page). */
export function pageOf<T>(
  rows: readonly T[],
  limit: number,
  cursorOf: (item: T) => TimeCursor,
): { items: T[]; nextCursor: TimeCursor | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}
