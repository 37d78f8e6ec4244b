/** The shapes of a node agent's routes: assignments, their pages and the cursor. */
import { z } from "@hono/zod-openapi";
import { agentStatuses, pausedReasons } from "../../market/core/bidbook/model";
import { assignmentsPageMax } from "../../market/object/contract";
import { sliceSchema } from "./schemas";

/** A change cursor as text: a whole number (`"0"`: from scratch). */
export const cursorTextSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,14})$/, "must be a cursor from an earlier answer (a whole number)")
  .openapi({ example: "42" });

export const assignmentQuerySchema = z.strictObject({
  after: cursorTextSchema.optional().openapi({
    description:
      "The `cursor` of the previous answer: only what changed after it. Absent or `0`: every lease the node holds, from scratch (`reset: true`).",
  }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(assignmentsPageMax)
    .default(assignmentsPageMax)
    .openapi({
      description: `Most assignments in one answer (at most ${assignmentsPageMax}).`,
      example: 100,
    }),
});

const resourcesSchema = z.object(sliceSchema.shape).openapi("AssignmentResources", {
  description: "What the lease's slices add up to, each rounded down to its unit (as a slice's figures).",
});

export const assignmentSchema = z
  .object({
    leaseId: z.string(),
    seq: z.number().int().openapi({ description: "The number of this lease's last change." }),
    kind: z.enum(["onDemand", "interruptible", "package"]),
    slices: z.number().int(),
    sliceIndices: z.array(z.number().int()).openapi({
      description: "Which of the node's slices (0 … n−1) the lease occupies; empty while it holds none.",
    }),
    resources: resourcesSchema.nullable(),
    run: z.boolean().openapi({
      description:
        "Whether the node must run the lease now (it is running, or waits only for the agent: provisioning or failed). False: stop it and keep its data (pre-empted, node offline, unpaid); it may come back.",
    }),
    status: z.enum(["running", "paused"]),
    pausedReason: z.enum(pausedReasons as [string, ...string[]]).nullable(),
    agentStatus: z
      .enum(agentStatuses as [string, ...string[]])
      .nullable()
      .openapi({ description: "What the agent last reported (provisioning until it reports running)." }),
    agentStatusSince: z.string().nullable(),
    provisionBy: z.string().nullable().openapi({
      description:
        "While provisioning: the lease is cancelled at this time unless the agent reports it running.",
    }),
    chargedFrom: z.enum(["running", "acceptance"]).openapi({
      description: "Whether the lease is charged from the agent's `running` report or from its acceptance.",
    }),
    startedAt: z.string(),
    endsAt: z.string().nullable(),
    deployment: z.unknown().openapi({
      description:
        "The deployment document the payer attached to the lease (any JSON, at most 16 KiB), or null.",
    }),
  })
  .openapi("Assignment");

export const assignmentsPageSchema = z
  .object({
    nodeId: z.string(),
    cursor: cursorTextSchema.openapi({
      description: "Pass it back as `after` (or over the socket) for what changes next.",
    }),
    reset: z.boolean().openapi({
      description:
        "This answer starts from scratch: the node runs only the leases in it (and in the pages after it while `more`); stop and forget any other.",
    }),
    more: z.boolean().openapi({ description: "More changes wait after `cursor`: ask again at once." }),
    assignments: z.array(assignmentSchema),
    removed: z
      .array(z.object({ leaseId: z.string(), seq: z.number().int(), endedAt: z.string() }))
      .openapi({ description: "Leases that ended: stop them and forget them." }),
    acknowledged: z
      .object({ cursor: z.string(), at: z.string() })
      .nullable()
      .openapi({ description: "The last cursor the node's agent acknowledged over its socket." }),
  })
  .openapi("AssignmentsPage");
