/** Bid package shapes as the API shows them. */
import { z } from "@hono/zod-openapi";
import type { PackageRecord } from "../../market/store/packages";
import { requirementsSchema } from "../capacity-requests/schemas";

export const packageIdParamSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "must be a lower-case slug")
  .openapi({ param: { name: "id", in: "path" }, example: "standard-compute" });

export const packageSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    requirements: requirementsSchema,
    priceCcPerSliceMonth: z.string().openapi({ example: "1.2" }),
    slicesCommitted: z
      .number()
      .int()
      .openapi({ description: "Slices ThreeFold commits to buy.", example: 20000 }),
    slicesFilled: z.number().int().openapi({ description: "Slices farmers have committed (active)." }),
    leaseHours: z
      .number()
      .int()
      .openapi({ description: "How long a commitment's lease runs.", example: 720 }),
    active: z.boolean(),
  })
  .openapi("BidPackage");

export function packageJson(pkg: PackageRecord): z.infer<typeof packageSchema> {
  return {
    id: pkg.id,
    name: pkg.name,
    requirements: pkg.requirements,
    priceCcPerSliceMonth: pkg.priceCcPerSliceMonth,
    slicesCommitted: pkg.slicesCommitted,
    slicesFilled: pkg.slicesFilled,
    leaseHours: pkg.leaseHours,
    active: pkg.active,
  };
}
