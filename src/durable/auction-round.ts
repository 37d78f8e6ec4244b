/** Placeholder until the auction round lands (issue 6): the class must exist for the binding. */
import { DurableObject } from "cloudflare:workers";

export class AuctionRound extends DurableObject<Env> {}
