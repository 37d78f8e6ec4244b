// Proves the keyset cursors of the lists: a page continues strictly after its last item in either order (ties by id), the next cursor is null on the last page, the API's `<ms>:<id>` text reads back to the same cursor, and a comma list reads as its distinct values while refusing unknown or empty ones.
import { describe, expect, it } from "vitest";
import { afterCursor, pageOf } from "../../../src/kit/db/cursor";
import {
  commaListSchema,
  timeCursorOf,
  timeCursorSchema,
  timeCursorText,
} from "../../../src/kit/http/schemas";

describe("afterCursor", () => {
  it("is always true without a cursor", () => {
    expect(afterCursor("created_at", "id", null, "asc")).toEqual({ sql: "1 = 1", args: [] });
  });

  it("continues after the cursor's time, or at the same time after its id, in the list's order", () => {
    const cursor = { atMs: 1_000, id: "acc_b" };
    expect(afterCursor("created_at", "id", cursor, "asc")).toEqual({
      sql: "(created_at > ? OR (created_at = ? AND id > ?))",
      args: [1_000, 1_000, "acc_b"],
    });
    expect(afterCursor("started_at", "id", cursor, "desc")).toEqual({
      sql: "(started_at < ? OR (started_at = ? AND id < ?))",
      args: [1_000, 1_000, "acc_b"],
    });
  });
});

describe("pageOf", () => {
  const cursorOf = (item: { at: number; id: string }) => ({ atMs: item.at, id: item.id });
  const rows = [
    { at: 3, id: "c" },
    { at: 2, id: "b" },
    { at: 1, id: "a" },
  ];

  it("keeps `limit` items and names the last of them when a further row was read", () => {
    expect(pageOf(rows, 2, cursorOf)).toEqual({ items: rows.slice(0, 2), nextCursor: { atMs: 2, id: "b" } });
  });

  it("has no next cursor on the last page, full or empty", () => {
    expect(pageOf(rows, 3, cursorOf)).toEqual({ items: rows, nextCursor: null });
    expect(pageOf([], 3, cursorOf)).toEqual({ items: [], nextCursor: null });
  });
});

describe("the API's cursor text", () => {
  it("reads back to the cursor it was written from", () => {
    const cursor = { atMs: 1_764_849_600_000, id: "lse_3f9a0c7Qm2Xr9LtK4pZsWd" };
    const text = timeCursorText(cursor);
    expect(text).toBe("1764849600000:lse_3f9a0c7Qm2Xr9LtK4pZsWd");
    expect(timeCursorSchema.safeParse(text).success).toBe(true);
    expect(timeCursorOf(text ?? undefined)).toEqual(cursor);
    expect(timeCursorText(null)).toBeNull();
    expect(timeCursorOf(undefined)).toBeNull();
  });

  it.each(["", "12", ":lse_a", "12:", "12:lse a", "x:lse_a", `${"9".repeat(17)}:lse_a`])(
    "refuses %j",
    (text) => {
      expect(timeCursorSchema.safeParse(text).success).toBe(false);
    },
  );
});

describe("commaListSchema", () => {
  const statuses = commaListSchema(["running", "paused", "ended"] as const);

  it("reads one value or several, each once", () => {
    expect(statuses.parse("ended")).toEqual(["ended"]);
    expect(statuses.parse("running,paused,running")).toEqual(["running", "paused"]);
  });

  it.each(["", "runing", "running,", ",running", "running,,paused", "running paused", "RUNNING"])(
    "refuses %j",
    (text) => {
      expect(statuses.safeParse(text).success).toBe(false);
    },
  );
});
