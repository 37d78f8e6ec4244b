/**
 * Cursor pagination: list routes answer `{ data, nextCursor }` and take `cursor` (and `limit`,
 * at most 200) as query parameters; the last page has `nextCursor: null`.
 */

/** One page of a cursor list. */
export type CursorPage<T> = { readonly data: readonly T[]; readonly nextCursor: string | null };

/** What to spread into the next request's query: `{}` for the first page, then `{ cursor }`. */
export type PageRequest = { cursor?: string };

/** Pages followed by default before `pages` stops: a bound, not an expected size. */
export const pagesMaxDefault = 1_000;

/**
 * Follows the cursors from the first page until the last (or `pagesMax` pages):
 * `pages((page) => unwrap(client.GET("/v1/market/slices", { params: { query: { ...page } } })))`.
 * Stops with an error if the API returned a cursor it had already given (it would never end).
 */
export async function* pages<Page extends CursorPage<unknown>>(
  fetchPage: (page: PageRequest) => Promise<Page>,
  options: { pagesMax?: number; start?: PageRequest } = {},
): AsyncGenerator<Page, void, undefined> {
  const pagesMax = options.pagesMax ?? pagesMaxDefault;
  const seen = new Set<string>();
  let request: PageRequest = options.start ?? {};
  for (let count = 0; count < pagesMax; count += 1) {
    const page = await fetchPage(request);
    yield page;
    if (page.nextCursor === null) return;
    if (seen.has(page.nextCursor)) throw new Error(`The API repeated the cursor ${page.nextCursor}`);
    seen.add(page.nextCursor);
    request = { cursor: page.nextCursor };
  }
}

/** Every item of every page, in order (see `pages`). */
export async function* items<Page extends CursorPage<unknown>>(
  fetchPage: (page: PageRequest) => Promise<Page>,
  options: { pagesMax?: number; start?: PageRequest } = {},
): AsyncGenerator<Page["data"][number], void, undefined> {
  for await (const page of pages(fetchPage, options)) {
    for (const item of page.data as readonly Page["data"][number][]) yield item;
  }
}

/** Up to `itemsMax` items of a cursor list, following pages as needed. */
export async function collect<Page extends CursorPage<unknown>>(
  fetchPage: (page: PageRequest) => Promise<Page>,
  itemsMax: number,
): Promise<Page["data"][number][]> {
  const collected: Page["data"][number][] = [];
  if (itemsMax <= 0) return collected;
  for await (const item of items(fetchPage)) {
    collected.push(item);
    if (collected.length >= itemsMax) break;
  }
  return collected;
}
