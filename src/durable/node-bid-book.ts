/** Placeholder until the node bid book lands (issue 5): the class must exist for the binding. */
import { DurableObject } from "cloudflare:workers";

export class NodeBidBook extends DurableObject<Env> {}
