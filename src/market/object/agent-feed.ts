/**
 * The live feed of a node's assignments to its agent: WebSockets held by the node's book with the
 * Hibernation API (`ctx.acceptWebSocket`), so an idle connection costs nothing and the object may be
 * evicted while agents stay connected. Each socket remembers its cursor in its attachment (it
 * survives hibernation); after every commit that changed an assignment the book calls `publish`, and
 * each socket is sent the pages of changes after its cursor (./assignments.ts), which is how a
 * reconnecting agent resumes: it says where it stopped and gets everything after.
 *
 * Protocol (JSON text messages):
 * - agent → book: `{"type":"resume","after":"<cursor>"|null}` (null: from scratch; also the
 *   `after` query parameter of the upgrade), `{"type":"ack","cursor":"<cursor>"}` (what it has
 *   applied; shown as `acknowledged`), and the text `ping`, answered `pong` without waking the book.
 * - book → agent: `{"type":"assignments", …}` pages (the shape of GET /v1/nodes/{id}/assignments),
 *   `{"type":"error","detail":…}` for a message it could not read.
 */
import { now } from "../../kit/clock";
import { type AssignmentsPage, assignmentsPageJson, assignmentsPageMax } from "./contract";

/** Longest message an agent may send: 4 KiB. */
export const agentMessageBytesMax = 4096;
/** Pages sent to one socket per publish; a socket further behind is told `more` and asks again. */
const pagesPerPushMax = 8;
/** Most sockets one node's book keeps: an agent and a few observers. */
export const agentSocketsPerNodeMax = 16;

type Attachment = { cursor: number | null };

/** The pages of changes after a cursor (NodeBidBook's view of its book). */
export type PageSource = (after: number | null, limit: number) => AssignmentsPage;

/** Reads a cursor an agent sent: a whole number, as a string or a number; null for null. */
function cursorOf(value: unknown): number | null | undefined {
  if (value === null) return null;
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string" || !/^(0|[1-9][0-9]{0,14})$/.test(text)) return undefined;
  const cursor = Number(text);
  return Number.isSafeInteger(cursor) ? cursor : undefined;
}

export class AgentFeed {
  private scheduled = false;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly pages: PageSource,
    private readonly acknowledge: (cursor: number) => void,
  ) {
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /**
   * Accepts an agent's socket (the Worker checked its key), resuming after `after` when given.
   * Refuses a socket past `agentSocketsPerNodeMax` with 429 (an agent that reconnects in a loop
   * without closing its old sockets).
   */
  accept(after: number | null | undefined): Response {
    if (this.ctx.getWebSockets().length >= agentSocketsPerNodeMax) {
      return new Response(`at most ${agentSocketsPerNodeMax} sockets per node`, { status: 429 });
    }
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ cursor: null } satisfies Attachment);
    if (after !== undefined) this.sendSince(server, after, true);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** An agent's message (see the protocol above). */
  message(socket: WebSocket, data: string | ArrayBuffer): void {
    const text = typeof data === "string" ? data : null;
    if (text === null || text.length > agentMessageBytesMax) {
      this.refuse(socket, `send JSON text messages of at most ${agentMessageBytesMax} bytes`);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.refuse(socket, "the message is not JSON");
      return;
    }
    const message = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
    if (message.type === "resume") {
      const after = cursorOf(message.after);
      if (after === undefined)
        this.refuse(socket, "after must be a cursor (a whole number as a string) or null");
      else this.sendSince(socket, after, true);
    } else if (message.type === "ack") {
      const cursor = cursorOf(message.cursor);
      if (cursor === undefined || cursor === null)
        this.refuse(socket, "cursor must be a whole number as a string");
      else this.acknowledge(cursor);
    } else {
      this.refuse(socket, 'type must be "resume" or "ack"');
    }
  }

  /** Sends every socket what changed after its cursor, once per turn of the event loop. */
  publish(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      for (const socket of this.ctx.getWebSockets()) {
        const { cursor } = (socket.deserializeAttachment() ?? { cursor: null }) as Attachment;
        if (cursor !== null) this.sendSince(socket, cursor, false);
      }
    });
  }

  /** The number of connected sockets. */
  get connected(): number {
    return this.ctx.getWebSockets().length;
  }

  /**
   * Sends the pages after `after` (at most `pagesPerPushMax`) and remembers the cursor reached. An
   * agent that asked (`answer`) gets a page even when nothing changed, so it knows it is current.
   */
  private sendSince(socket: WebSocket, after: number | null, answer: boolean): void {
    let cursor = after;
    for (let pageNumber = 0; pageNumber < pagesPerPushMax; pageNumber += 1) {
      const page = this.pages(cursor, assignmentsPageMax);
      const empty = !page.reset && page.assignments.length === 0 && page.removed.length === 0;
      if (empty && !(answer && pageNumber === 0)) {
        cursor = page.cursor;
        break;
      }
      try {
        socket.send(
          JSON.stringify({
            type: "assignments",
            sentAt: new Date(now()).toISOString(),
            ...assignmentsPageJson(page),
          }),
        );
      } catch {
        return; // the socket closed meanwhile: nothing to remember for it
      }
      cursor = page.cursor;
      if (!page.more) break;
    }
    socket.serializeAttachment({ cursor } satisfies Attachment);
  }

  private refuse(socket: WebSocket, detail: string): void {
    try {
      socket.send(JSON.stringify({ type: "error", detail }));
    } catch {
      // closed meanwhile
    }
  }
}
