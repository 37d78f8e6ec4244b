/** Registers every route on the app: one module per endpoint, grouped by resource. */
import type { App } from "../http/types";
import * as createAccount from "./accounts/create";
import * as getAccount from "./accounts/get";
import * as accountTransfers from "./accounts/transfers";
import * as calculateNode from "./calculator/node";
import * as catalogNodes from "./catalog/nodes";
import * as health from "./health/get";
import * as createKey from "./keys/create";
import * as revokeKey from "./keys/revoke";
import * as rotateKey from "./keys/rotate";
import * as audit from "./ledger/audit";
import * as supply from "./ledger/supply";
import * as createTransfers from "./transfers/create";

const modules = [
  health,
  createAccount,
  getAccount,
  accountTransfers,
  createKey,
  revokeKey,
  rotateKey,
  supply,
  audit,
  createTransfers,
  catalogNodes,
  calculateNode,
];

export function registerRoutes(app: App): void {
  for (const module of modules) module.register(app);
}
