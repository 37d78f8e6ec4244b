// Proves the in-isolate cache's bounds: an entry is served until its TTL has passed and never after, the least recently used entry goes first when the cache is full, a read refreshes recency but not age, and deleteWhere/clear forget what they match.
import { describe, expect, it } from "vitest";
import { TtlCache } from "../../../src/kit/cache";

describe("TtlCache", () => {
  it("serves an entry until its TTL has passed, and not after", () => {
    const cache = new TtlCache<string, number | null>(10, 1_000);
    cache.set("a", 1, 5_000);
    cache.set("unknown", null, 5_000);
    expect(cache.get("a", 5_999)).toEqual({ value: 1 });
    expect(cache.get("unknown", 5_999)).toEqual({ value: null });
    expect(cache.get("a", 6_000)).toBeUndefined();
    expect(cache.get("missing", 5_000)).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it("drops the least recently used entry when full; a read refreshes recency, not age", () => {
    const cache = new TtlCache<string, number>(2, 1_000);
    cache.set("a", 1, 0);
    cache.set("b", 2, 0);
    expect(cache.get("a", 10)).toEqual({ value: 1 });
    cache.set("c", 3, 20);
    expect(cache.get("b", 30)).toBeUndefined();
    expect(cache.get("a", 30)).toEqual({ value: 1 });
    expect(cache.get("a", 1_000)).toBeUndefined();
    expect(cache.get("c", 1_000)).toEqual({ value: 3 });
    expect(cache.size).toBe(1);
  });

  it("forgets what deleteWhere matches, and everything on clear", () => {
    const cache = new TtlCache<string, { id: string }>(5, 1_000);
    cache.set("h1", { id: "key_1" }, 0);
    cache.set("h2", { id: "key_2" }, 0);
    cache.deleteWhere((value) => value.id === "key_1");
    expect(cache.get("h1", 1)).toBeUndefined();
    expect(cache.get("h2", 1)).toEqual({ value: { id: "key_2" } });
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it("refuses a capacity below 1 and a negative TTL", () => {
    expect(() => new TtlCache(0, 1)).toThrow(RangeError);
    expect(() => new TtlCache(1, -1)).toThrow(RangeError);
  });
});
