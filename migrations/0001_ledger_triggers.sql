-- Double-entry rules enforced by the database itself. Every row inserted into `transfers`
-- moves its amount between two accounts of the same asset in the same statement; the
-- accounts' CHECK constraints make an overdraft abort the whole transaction. Transfers are
-- immutable: no update (except the trigger's own one-time `pending_released`) and no delete.
-- Error messages are stable codes read by src/ledger/errors.ts.

CREATE TRIGGER transfers_check_accounts BEFORE INSERT ON transfers WHEN NEW.type IN ('posted', 'pending')
BEGIN
  -- One pass over the two accounts; a post or void is checked against its hold instead.
  SELECT CASE
    WHEN count(*) <> 2 THEN RAISE(ABORT, 'LEDGER:ACCOUNT_NOT_FOUND')
    WHEN sum(asset = NEW.asset) <> 2 THEN RAISE(ABORT, 'LEDGER:ASSET_MISMATCH')
    WHEN sum((flags & 2) <> 0) > 0 THEN RAISE(ABORT, 'LEDGER:ACCOUNT_CLOSED')
  END
  FROM accounts WHERE id IN (NEW.debit_account_id, NEW.credit_account_id);
END;
--> statement-breakpoint
CREATE TRIGGER transfers_apply_posted AFTER INSERT ON transfers WHEN NEW.type = 'posted'
BEGIN
  UPDATE accounts SET debits_posted = debits_posted + NEW.amount WHERE id = NEW.debit_account_id;
  UPDATE accounts SET credits_posted = credits_posted + NEW.amount WHERE id = NEW.credit_account_id;
END;
--> statement-breakpoint
CREATE TRIGGER transfers_apply_pending AFTER INSERT ON transfers WHEN NEW.type = 'pending'
BEGIN
  UPDATE accounts SET debits_pending = debits_pending + NEW.amount WHERE id = NEW.debit_account_id;
  UPDATE accounts SET credits_pending = credits_pending + NEW.amount WHERE id = NEW.credit_account_id;
  INSERT INTO holds (id, debit_account_id, credit_account_id, asset, amount, posted, remaining, status, expires_at, updated_at)
  VALUES (NEW.id, NEW.debit_account_id, NEW.credit_account_id, NEW.asset, NEW.amount, 0, NEW.amount, 'pending', NEW.timeout_at, NEW.created_at);
END;
--> statement-breakpoint
CREATE TRIGGER transfers_check_resolution BEFORE INSERT ON transfers WHEN NEW.type IN ('post_pending', 'void_pending')
BEGIN
  SELECT RAISE(ABORT, 'LEDGER:PENDING_TRANSFER_NOT_FOUND')
  WHERE NOT EXISTS (SELECT 1 FROM holds WHERE id = NEW.pending_id
         AND debit_account_id = NEW.debit_account_id AND credit_account_id = NEW.credit_account_id AND asset = NEW.asset);
  SELECT RAISE(ABORT, 'LEDGER:PENDING_TRANSFER_ALREADY_RESOLVED')
  WHERE (SELECT status FROM holds WHERE id = NEW.pending_id) <> 'pending';
  SELECT RAISE(ABORT, 'LEDGER:PENDING_TRANSFER_EXPIRED')
  WHERE NEW.type = 'post_pending' AND (SELECT expires_at FROM holds WHERE id = NEW.pending_id) <= NEW.created_at;
  SELECT RAISE(ABORT, 'LEDGER:AMOUNT_EXCEEDS_PENDING')
  WHERE NEW.type = 'post_pending' AND NEW.amount > (SELECT remaining FROM holds WHERE id = NEW.pending_id);
  SELECT RAISE(ABORT, 'LEDGER:VOID_AMOUNT_MISMATCH')
  WHERE NEW.type = 'void_pending' AND NEW.amount <> (SELECT remaining FROM holds WHERE id = NEW.pending_id);
END;
--> statement-breakpoint
CREATE TRIGGER transfers_apply_post_pending AFTER INSERT ON transfers WHEN NEW.type = 'post_pending'
BEGIN
  UPDATE transfers SET pending_released =
    CASE WHEN (NEW.flags & 1) <> 0 THEN (SELECT remaining FROM holds WHERE id = NEW.pending_id) ELSE NEW.amount END
  WHERE seq = NEW.seq;
  UPDATE accounts SET
    debits_pending = debits_pending - (SELECT pending_released FROM transfers WHERE seq = NEW.seq),
    debits_posted = debits_posted + NEW.amount
  WHERE id = NEW.debit_account_id;
  UPDATE accounts SET
    credits_pending = credits_pending - (SELECT pending_released FROM transfers WHERE seq = NEW.seq),
    credits_posted = credits_posted + NEW.amount
  WHERE id = NEW.credit_account_id;
  UPDATE holds SET
    remaining = remaining - (SELECT pending_released FROM transfers WHERE seq = NEW.seq),
    posted = posted + NEW.amount,
    status = CASE WHEN remaining - (SELECT pending_released FROM transfers WHERE seq = NEW.seq) = 0 THEN 'posted' ELSE 'pending' END,
    updated_at = NEW.created_at
  WHERE id = NEW.pending_id;
END;
--> statement-breakpoint
CREATE TRIGGER transfers_apply_void_pending AFTER INSERT ON transfers WHEN NEW.type = 'void_pending'
BEGIN
  UPDATE transfers SET pending_released = NEW.amount WHERE seq = NEW.seq;
  UPDATE accounts SET debits_pending = debits_pending - NEW.amount WHERE id = NEW.debit_account_id;
  UPDATE accounts SET credits_pending = credits_pending - NEW.amount WHERE id = NEW.credit_account_id;
  UPDATE holds SET remaining = 0,
    status = CASE WHEN NEW.code = 'hold_expired' THEN 'expired' ELSE 'voided' END,
    updated_at = NEW.created_at
  WHERE id = NEW.pending_id;
END;
--> statement-breakpoint
CREATE TRIGGER transfers_immutable BEFORE UPDATE OF seq, id, type, debit_account_id, credit_account_id, asset, amount,
  pending_id, timeout_at, flags, code, metadata, link_id, fingerprint, created_at ON transfers
BEGIN
  SELECT RAISE(ABORT, 'LEDGER:TRANSFER_IMMUTABLE');
END;
--> statement-breakpoint
CREATE TRIGGER transfers_released_once BEFORE UPDATE OF pending_released ON transfers WHEN OLD.pending_released IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'LEDGER:TRANSFER_IMMUTABLE');
END;
--> statement-breakpoint
CREATE TRIGGER transfers_no_delete BEFORE DELETE ON transfers
BEGIN
  SELECT RAISE(ABORT, 'LEDGER:TRANSFER_IMMUTABLE');
END;
--> statement-breakpoint
CREATE TRIGGER accounts_identity_immutable BEFORE UPDATE OF id, asset, kind ON accounts
BEGIN
  SELECT RAISE(ABORT, 'LEDGER:ACCOUNT_IMMUTABLE');
END;
--> statement-breakpoint
CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts
BEGIN
  SELECT RAISE(ABORT, 'LEDGER:ACCOUNT_IMMUTABLE');
END;
