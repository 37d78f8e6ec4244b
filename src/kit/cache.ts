/**
 * A bounded in-isolate cache: at most `capacity` entries, each kept `ttlMs` from when it was
 * stored, the least recently used dropped first when full. Time comes from the caller (the
 * service's clock), so tests move it with the clock seam. A Worker isolate lives for many
 * requests but not forever, and every isolate has its own copy: what is cached here may be up to
 * `ttlMs` behind the database in another isolate, which is the bound each use documents.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; storedAtMs: number }>();

  constructor(
    readonly capacity: number,
    readonly ttlMs: number,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError("capacity must be ≥ 1");
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 0) throw new RangeError("ttlMs must be ≥ 0");
  }

  /** The value stored for `key` if it is younger than the TTL at `nowMs` (and marks it recently used). */
  get(key: K, nowMs: number): { value: V } | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (nowMs - entry.storedAtMs >= this.ttlMs || nowMs < entry.storedAtMs) return undefined;
    this.entries.set(key, entry);
    return { value: entry.value };
  }

  set(key: K, value: V, nowMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, storedAtMs: nowMs });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  /** Drops every entry whose value `matches`. */
  deleteWhere(matches: (value: V, key: K) => boolean): void {
    for (const [key, entry] of this.entries) if (matches(entry.value, key)) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
