/** Column types shared by every table of the schema. */
import { customType } from "drizzle-orm/sqlite-core";

/** An INTEGER column read and written as `bigint`: amounts in minor units (exact beyond 2^53). */
export const minorUnits = customType<{ data: bigint; driverData: bigint | number | string }>({
  dataType: () => "integer",
  fromDriver: (value) => BigInt(value),
  toDriver: (value) => value,
});
