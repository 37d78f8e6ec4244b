/** Schemas shared by the `/v1/farmers/{id}/…` routes. */
import { z } from "@hono/zod-openapi";

/** The farmer id in the path (an owner id). */
export const farmerParamsSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .openapi({ param: { name: "id", in: "path" }, example: "frm_bob" }),
});
