/**
 * A node's bid book as a pure state machine: the Durable Object loads the book, calls one of
 * these transitions and persists the returned book and events (ECONOMICS §16, §17).
 */
export {
  acceptBid,
  type BatchTransition,
  bindAgent,
  cancelBid,
  compact,
  endLease,
  markInsufficientFunds,
  match,
  type OpenBookInput,
  openBook,
  type PlaceBidInput,
  type PricesInput,
  placeBid,
  placeBids,
  type ReserveInput,
  type ReservePackageInput,
  reclaimExpired,
  recordSettlement,
  rejectBid,
  reportLease,
  reserve,
  reservePackage,
  resumeFunded,
  setPrices,
  setState,
} from "./book";
export * from "./model";
export * from "./settlement";
