/** Registers every route on the app: one module per endpoint, grouped by resource. */
import type { App } from "../kit/http/types";
import * as createAccount from "./accounts/create";
import * as getAccount from "./accounts/get";
import * as listAccounts from "./accounts/list";
import * as accountTransfers from "./accounts/transfers";
import * as placeBid from "./auctions/bid";
import * as ownBids from "./auctions/bids";
import * as cancelBid from "./auctions/cancel";
import * as getAuction from "./auctions/get";
import * as listAuctions from "./auctions/list";
import * as openAuction from "./auctions/open";
import * as simulateAuction from "./auctions/simulate";
import * as bidPackageCommit from "./bid-packages/commit";
import * as bidPackageList from "./bid-packages/list";
import * as bidPackagePut from "./bid-packages/put";
import * as listBids from "./bids/list";
import * as calculateNode from "./calculator/node";
import * as nodeProjection from "./calculator/node-projection";
import * as capacityRequestAccept from "./capacity-requests/accept";
import * as capacityRequestCreate from "./capacity-requests/create";
import * as capacityRequestGet from "./capacity-requests/get";
import * as capacityRequestList from "./capacity-requests/list";
import * as capacityRequestOffer from "./capacity-requests/offer";
import * as catalogNodes from "./catalog/nodes";
import * as conversionExecute from "./conversions/execute";
import * as conversionQuote from "./conversions/quote";
import * as creditsCheckout from "./credits/checkout";
import * as creditsCheckoutGet from "./credits/checkout-get";
import * as devClock from "./dev/clock";
import * as devSettle from "./dev/settle";
import * as listEvents from "./events/list";
import * as streamEvents from "./events/stream";
import * as farmerEarnings from "./farmers/earnings";
import * as farmerNodes from "./farmers/nodes";
import * as health from "./health/get";
import * as createKey from "./keys/create";
import * as listKeys from "./keys/list";
import * as revokeKey from "./keys/revoke";
import * as rotateKey from "./keys/rotate";
import * as leaseCreate from "./leases/create";
import * as leaseEnd from "./leases/end";
import * as leaseEvents from "./leases/events";
import * as leaseGet from "./leases/get";
import * as leaseList from "./leases/list";
import * as audit from "./ledger/audit";
import * as supply from "./ledger/supply";
import * as marketSlices from "./market/slices";
import * as me from "./me/get";
import * as nodeAgentFeed from "./nodes/agent";
import * as nodeAssignments from "./nodes/assignments";
import * as nodeBidPlace from "./nodes/bid";
import { acceptBid as nodeBidAccept, rejectBid as nodeBidReject } from "./nodes/bid-decision";
import * as nodeBids from "./nodes/bids";
import * as nodeBidCancel from "./nodes/cancel-bid";
import * as nodeCreate from "./nodes/create";
import * as nodeGet from "./nodes/get";
import * as nodeHeartbeat from "./nodes/heartbeat";
import * as nodeKeys from "./nodes/keys";
import * as nodePrice from "./nodes/price";
import * as nodeReport from "./nodes/report";
import * as nodeState from "./nodes/state";
import * as contributeToPool from "./pools/contribute";
import * as createPool from "./pools/create";
import * as getPool from "./pools/get";
import * as listPools from "./pools/list";
import * as pricesHistory from "./prices/history";
import * as pricesLatest from "./prices/latest";
import * as pricesManual from "./prices/manual";
import * as pricesRound from "./prices/round";
import * as createTransfers from "./transfers/create";
import * as webhookEndpointCreate from "./webhook-endpoints/create";
import * as webhookEndpointDelete from "./webhook-endpoints/delete";
import * as webhookDeliveries from "./webhook-endpoints/deliveries";
import * as webhookEndpointGet from "./webhook-endpoints/get";
import * as webhookEndpointList from "./webhook-endpoints/list";
import * as webhookDeliveryReplay from "./webhook-endpoints/replay";
import * as webhookEndpointRotate from "./webhook-endpoints/rotate";
import * as webhookEndpointUpdate from "./webhook-endpoints/update";
import * as webhookStripe from "./webhooks/stripe";
import * as webhookTftBridge from "./webhooks/tft-bridge";
import * as withdrawalCreate from "./withdrawals/create";
import * as withdrawalGet from "./withdrawals/get";
import * as withdrawalList from "./withdrawals/list";

const modules = [
  health,
  me,
  createAccount,
  listAccounts,
  getAccount,
  accountTransfers,
  createKey,
  listKeys,
  revokeKey,
  rotateKey,
  supply,
  audit,
  createTransfers,
  // Cloud Credits: prices, card checkout, conversions, withdrawals, webhooks
  pricesLatest,
  pricesHistory,
  pricesRound,
  pricesManual,
  creditsCheckout,
  creditsCheckoutGet,
  conversionQuote,
  conversionExecute,
  withdrawalCreate,
  withdrawalList,
  withdrawalGet,
  webhookStripe,
  webhookTftBridge,
  catalogNodes,
  calculateNode,
  nodeProjection,
  createPool,
  listPools,
  getPool,
  contributeToPool,
  simulateAuction,
  openAuction,
  listAuctions,
  getAuction,
  placeBid,
  ownBids,
  cancelBid,
  // Capacity marketplace: nodes, listing, leases, bids, capacity requests, bid packages, earnings
  nodeCreate,
  nodeGet,
  nodePrice,
  nodeState,
  nodeHeartbeat,
  // Node agents: their keys, assignments (by cursor and as a live WebSocket feed) and lease reports
  nodeKeys,
  nodeAssignments,
  nodeReport,
  nodeAgentFeed,
  farmerNodes,
  marketSlices,
  leaseCreate,
  leaseList,
  leaseGet,
  leaseEnd,
  leaseEvents,
  nodeBidPlace,
  nodeBids,
  nodeBidAccept,
  nodeBidReject,
  nodeBidCancel,
  listBids,
  capacityRequestCreate,
  capacityRequestList,
  capacityRequestGet,
  capacityRequestOffer,
  capacityRequestAccept,
  bidPackageList,
  bidPackagePut,
  bidPackageCommit,
  farmerEarnings,
  // Events and outbound webhooks
  listEvents,
  streamEvents,
  webhookEndpointCreate,
  webhookEndpointList,
  webhookEndpointGet,
  webhookEndpointUpdate,
  webhookEndpointRotate,
  webhookEndpointDelete,
  webhookDeliveries,
  webhookDeliveryReplay,
  // Development only (404 unless ENVIRONMENT is development or test): the clock, settling a node now
  devClock,
  devSettle,
];

export function registerRoutes(app: App): void {
  for (const module of modules) module.register(app);
}
