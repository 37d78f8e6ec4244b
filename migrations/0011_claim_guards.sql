-- Claims written in a reservation's own batch (src/market/store/claims.ts): the database refuses a
-- claim that no longer holds, which aborts the batch, so the lease's hold, the claim and the
-- Idempotency-Key's record are written together or not at all. The codes are read by
-- src/ledger/errors.ts like the ledger's own.

-- A package takes active commitments up to the slices ThreeFold committed, while it is active.
CREATE TRIGGER package_commitments_room BEFORE INSERT ON package_commitments WHEN NEW.status = 'active'
  AND (SELECT COALESCE(SUM(slices), 0) FROM package_commitments WHERE package_id = NEW.package_id AND status = 'active') + NEW.slices
    > COALESCE((SELECT slices_committed FROM bid_packages WHERE id = NEW.package_id AND active = 1), 0)
BEGIN
  SELECT RAISE(ABORT, 'LEDGER:LIMIT_REACHED');
END;
--> statement-breakpoint
-- A capacity request's final status never changes, and a request taken for one offer (`accepting`)
-- is accepted for that offer only.
CREATE TRIGGER capacity_requests_final_status BEFORE UPDATE OF status ON capacity_requests
WHEN OLD.status NOT IN ('open', 'accepting')
  OR (OLD.status = 'accepting' AND NEW.status = 'accepted' AND NEW.accepting_offer_id IS NOT OLD.accepting_offer_id)
BEGIN
  SELECT RAISE(ABORT, 'LEDGER:CONFLICT');
END;
