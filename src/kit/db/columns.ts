/** Column types shared by every table of the schema. */
import { customType } from "drizzle-orm/sqlite-core";

/** An INTEGER column read and written as `bigint`: amounts in minor units (exact beyond 2^53). */
export const minorUnits = customType<{ data: bigint; driverData: bigint | number | string }>({
  dataType: () => "integer",
  fromDriver: (value) => BigInt(value),
  toDriver: (value) => value,
});

/**
 * An INTEGER column read as `number`: times in epoch milliseconds, counts, flags. The clients run
 * with `intMode: "bigint"`, so the driver hands every INTEGER over as `bigint`; this column turns
 * it back into the number these values always fit.
 */
export const int = customType<{ data: number; driverData: bigint | number }>({
  dataType: () => "integer",
  fromDriver: (value) => Number(value),
});
