/**
 * What the bid book's parts share: its storage and memory, the libSQL client, the market's
 * configuration, its queue of changes (NodeBidBook `exclusive`), its mirror and its alarm.
 */
import type { Client } from "@libsql/client";
import type { MarketConfig } from "../config";
import type { BookAlarm } from "./alarm";
import type { BookMirror } from "./mirror";
import type { BookStorage } from "./storage";

export type BookContext = {
  readonly state: BookStorage;
  readonly db: Client;
  readonly market: MarketConfig;
  /** Runs a change of the book once every change queued before it has finished (see NodeBidBook). */
  exclusive<T>(change: () => T | Promise<T>): Promise<T>;
  readonly mirror: BookMirror;
  readonly alarm: BookAlarm;
};
