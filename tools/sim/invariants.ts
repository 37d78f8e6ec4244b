/**
 * The invariants checked after every step, with faults off: the ledger audit through the Worker
 * (every asset sums to zero, every total and hold recomputes, and the market-vs-ledger checks
 * when the audit reports them), then the database read directly: no holder balance below zero,
 * supply = issued − burned, every running lease holds funds, no node overbooked, every settled
 * hour split 80/10/10 exactly, each card payment and deposit minted once, and each settled exit
 * round paying fills × clearing price with the margin paid equal to the margin created.
 */
import type { World } from "./world";

/** Rows of each kind named in one violation message. */
const examplesMax = 3;

type Row = Record<string, unknown>;

function show(rows: readonly Row[]): string {
  return rows
    .slice(0, examplesMax)
    .map((row) =>
      JSON.stringify(row, (_key, value) => (typeof value === "bigint" ? value.toString() : value)),
    )
    .join("; ");
}

export async function checkInvariants(world: World): Promise<void> {
  const db = world.service.client;
  const query = async (sql: string, args: (string | number | bigint)[] = []): Promise<Row[]> =>
    (await db.execute({ sql, args })).rows as unknown as Row[];

  // 1. The ledger audit, as an admin sees it.
  const audit = await world.request("GET", "/v1/ledger/audit", { key: world.admin.key, label: "audit" });
  if (audit.status !== 200 || typeof audit.body !== "object" || audit.body === null) {
    world.violate(
      "audit-answers",
      `GET /v1/ledger/audit → ${audit.status}: ${JSON.stringify(audit.body).slice(0, 200)}`,
    );
  } else {
    const report = audit.body as Record<string, unknown>;
    if (report.balanced !== true) {
      world.violate(
        "ledger-balanced",
        `audit not balanced: ${JSON.stringify({ assets: report.assets, mismatches: report.mismatches, holdMismatches: report.holdMismatches }).slice(0, 600)}`,
      );
    }
    for (const [name, value] of Object.entries(report)) {
      // Market-vs-ledger checks (another helper's `marketMismatches`), used whenever present.
      if (/mismatches$/i.test(name) && Array.isArray(value) && value.length > 0) {
        world.violate(`audit-${name}`, JSON.stringify(value.slice(0, examplesMax)).slice(0, 600));
      }
    }
  }

  // 2. No holder below zero (posted, and available after holds).
  const negative = await query(
    `SELECT id, kind, asset, credits_posted - debits_posted AS posted, credits_posted - debits_posted - debits_pending AS available
     FROM accounts WHERE kind NOT IN ('issuance') AND (credits_posted - debits_posted < 0 OR credits_posted - debits_posted - debits_pending < 0) LIMIT 5`,
  );
  if (negative.length > 0) world.violate("no-negative-balance", show(negative));

  // 3. Supply = issued − burned, as the Worker reports it and as the accounts say.
  const supply = await world.request("GET", "/v1/ledger/supply", { key: world.admin.key, label: "supply" });
  const figures = await query(
    `SELECT asset,
       -SUM(CASE WHEN kind = 'issuance' THEN credits_posted - debits_posted ELSE 0 END) AS issued,
       SUM(CASE WHEN kind = 'burn' THEN credits_posted - debits_posted ELSE 0 END) AS burned,
       SUM(CASE WHEN kind NOT IN ('issuance', 'burn') THEN credits_posted - debits_posted ELSE 0 END) AS held
     FROM accounts GROUP BY asset`,
  );
  for (const row of figures) {
    if (BigInt(row.issued as bigint) - BigInt(row.burned as bigint) !== BigInt(row.held as bigint)) {
      world.violate("supply-issued-minus-burned", show([row]));
    }
  }
  if (supply.status === 200 && typeof supply.body === "object" && supply.body !== null) {
    for (const row of figures) {
      const entry = findAsset(supply.body, String(row.asset));
      const scale = assetScales[String(row.asset)];
      if (entry === null || scale === undefined) continue;
      const issued = minorOf(String(entry.issued), scale);
      const burned = minorOf(String(entry.burned), scale);
      const circulating = minorOf(String(entry.circulating), scale);
      if (
        issued !== BigInt(row.issued as bigint) ||
        burned !== BigInt(row.burned as bigint) ||
        circulating !== issued - burned
      ) {
        world.violate(
          "supply-route",
          `${String(row.asset)}: route ${JSON.stringify(entry)} vs accounts ${show([row])}`,
        );
      }
    }
  } else {
    world.violate("supply-answers", `GET /v1/ledger/supply → ${supply.status}`);
  }

  // 4. Every running lease holds funds (packages are paid by ThreeFold, not a hold).
  const unheld = await query(
    `SELECT l.id, l.kind, l.source, l.source_id FROM leases l
     WHERE l.status = 'running' AND l.kind <> 'package' AND NOT EXISTS (
       SELECT 1 FROM holds h WHERE h.status = 'pending' AND h.remaining > 0
         AND (substr(h.id, 1, length(l.id) + 6) = 'hold_' || l.id || '_' OR (l.source_id IS NOT NULL AND h.id = 'hold_' || l.source_id))
     ) LIMIT 5`,
  );
  if (unheld.length > 0) world.violate("running-lease-has-hold", show(unheld));

  // 5. No node overbooked: the slices held (running leases, and paused ones except interruptible
  // leases, which hold nothing while paused) fit the node, and its free count says the rest.
  const overbooked = await query(
    `SELECT n.id, n.slice_count, n.free_slices, coalesce(SUM(l.slices), 0) AS held FROM nodes n
       LEFT JOIN leases l ON l.node_id = n.id AND (l.status = 'running' OR (l.status = 'paused' AND l.kind <> 'interruptible'))
     GROUP BY n.id HAVING coalesce(SUM(l.slices), 0) > n.slice_count LIMIT 5`,
  );
  if (overbooked.length > 0) world.violate("node-not-overbooked", show(overbooked));

  // 6. Every settled period: charge = farmer + burn + ThreeFold, 80/10/10 rounded down, remainder to ThreeFold.
  const badSplits = await query(
    `SELECT id, charge_minor, farmer_minor, burn_minor, threefold_minor FROM settlements
     WHERE farmer_minor + burn_minor + threefold_minor <> charge_minor
        OR farmer_minor <> (charge_minor * 8) / 10 OR burn_minor <> charge_minor / 10 LIMIT 5`,
  );
  if (badSplits.length > 0) world.violate("settlement-split-80-10-10", show(badSplits));
  const duplicateSettlements = await query(
    "SELECT lease_id, period_index, count(*) AS n FROM settlements GROUP BY lease_id, period_index HAVING count(*) > 1 LIMIT 5",
  );
  if (duplicateSettlements.length > 0)
    world.violate("settlement-once-per-period", show(duplicateSettlements));
  // The ledger holds exactly what each settlement row says: the draws (`stl_…`, `.dN`, `.due`)
  // sum to the charge and the three legs to the three parts (ids `stl_…` and `stl_….<leg>`).
  const settlementVsLedger = await query(
    `WITH legs AS (
       SELECT s.id, s.charge_minor, s.farmer_minor, s.burn_minor, s.threefold_minor,
         coalesce(sum(CASE WHEN t.code = 'lease_charge' THEN t.amount END), 0) AS charged,
         coalesce(sum(CASE WHEN t.id = s.id || '.farmer' THEN t.amount END), 0) AS farmer,
         coalesce(sum(CASE WHEN t.id = s.id || '.burn' THEN t.amount END), 0) AS burn,
         coalesce(sum(CASE WHEN t.id = s.id || '.threefold' THEN t.amount END), 0) AS threefold
       FROM settlements s LEFT JOIN transfers t ON t.id = s.id OR (t.id >= s.id || '.' AND t.id < s.id || '/')
       GROUP BY s.id
     )
     SELECT * FROM legs WHERE charged <> charge_minor OR farmer <> farmer_minor OR burn <> burn_minor OR threefold <> threefold_minor LIMIT 5`,
  );
  if (settlementVsLedger.length > 0) world.violate("settlement-matches-ledger", show(settlementVsLedger));

  // 7. Each payment minted once: card payments and TFT deposits against their ledger mints.
  const cards = await query(
    `SELECT (SELECT count(*) FROM card_payments) AS payments, (SELECT coalesce(sum(cc_minted), 0) FROM card_payments) AS minted,
       (SELECT count(*) FROM transfers WHERE code = 'card_mint') AS mints, (SELECT coalesce(sum(amount), 0) FROM transfers WHERE code = 'card_mint') AS ledger`,
  );
  const card = cards[0]!;
  if (card.payments !== card.mints || card.minted !== card.ledger)
    world.violate("card-payment-minted-once", show([card]));
  const deposits = await query(
    `SELECT (SELECT count(*) FROM tft_deposits) AS deposits, (SELECT coalesce(sum(tfp_amount), 0) FROM tft_deposits) AS minted,
       (SELECT count(*) FROM transfers WHERE code = 'tft_deposit_mint') AS mints, (SELECT coalesce(sum(amount), 0) FROM transfers WHERE code = 'tft_deposit_mint') AS ledger`,
  );
  const deposit = deposits[0]!;
  if (deposit.deposits !== deposit.mints || deposit.minted !== deposit.ledger) {
    world.violate("deposit-minted-once", show([deposit]));
  }

  // 8. Settled exit rounds: fills, payouts and margins in the ledger equal what the round published.
  const rounds = await query(
    `SELECT r.id, r.filled_tfp, r.payout_usdc, r.margin_usdc, r.result,
       (SELECT coalesce(sum(amount), 0) FROM transfers WHERE id >= r.id || '.' AND id < r.id || '/' AND code = 'auction_exit_fill') AS fills,
       (SELECT coalesce(sum(amount), 0) FROM transfers WHERE id >= r.id || '.' AND id < r.id || '/' AND code = 'auction_exit_payout') AS payouts,
       (SELECT coalesce(sum(amount), 0) FROM transfers WHERE id >= r.id || '.' AND id < r.id || '/' AND code = 'auction_exit_margin') AS margins
     FROM auction_rounds r WHERE r.state = 'settled'`,
  );
  for (const round of rounds) {
    if (round.fills !== round.filled_tfp || round.payouts !== round.payout_usdc) {
      world.violate("auction-payout-is-fills-times-price", show([{ ...round, result: undefined }]));
    }
    const result =
      round.result === null ? null : (JSON.parse(String(round.result)) as Record<string, unknown>);
    const distributed = result === null ? null : findKey(result, "marginDistributedMinor");
    if (distributed !== null && String(distributed) !== String(round.margins)) {
      world.violate(
        "auction-margin-paid-equals-created",
        `${round.id}: distributed ${String(distributed)}, ledger ${String(round.margins)}`,
      );
    }
    const bids = await query(
      "SELECT id, accepted, payout, min_price FROM auction_bids WHERE round_id = ? AND accepted IS NOT NULL",
      [String(round.id)],
    );
    const clearing = result === null ? null : findKey(result, "clearingPrice");
    if (clearing !== null && clearing !== undefined) {
      for (const bid of bids) {
        const expected = floorProduct(BigInt(bid.accepted as bigint), String(clearing), 7, 6);
        if (expected !== null && BigInt(bid.payout as bigint) !== expected) {
          world.violate(
            "auction-payout-is-fills-times-price",
            `${bid.id}: accepted ${String(bid.accepted)} × ${String(clearing)} → ${String(expected)}, paid ${String(bid.payout)}`,
          );
        }
      }
    }
  }
}

/** Decimals of each asset's minor unit (README: CC 6, TFT 7, TFP 7, USDC 6, USD 2). */
const assetScales: Record<string, number> = { CC: 6, TFT: 7, TFP: 7, USDC: 6, USD: 2 };

/** A signed decimal string in minor units of `scale` (exact; the route never rounds). */
function minorOf(text: string, scale: number): bigint | null {
  const match = /^(-?)([0-9]+)(?:\.([0-9]+))?$/.exec(text);
  if (match === null || (match[3] ?? "").length > scale) return null;
  const value = BigInt(`${match[2]}${(match[3] ?? "").padEnd(scale, "0")}`);
  return match[1] === "-" ? -value : value;
}

function findAsset(body: unknown, asset: string): Record<string, unknown> | null {
  const list = Array.isArray(body)
    ? body
    : Object.values(body as Record<string, unknown>).find(Array.isArray);
  if (!Array.isArray(list)) return null;
  return (list.find(
    (entry) =>
      typeof entry === "object" && entry !== null && (entry as Record<string, unknown>).asset === asset,
  ) ?? null) as Record<string, unknown> | null;
}

/** The first value under `key` anywhere in a JSON tree. */
function findKey(tree: unknown, key: string): unknown {
  if (typeof tree !== "object" || tree === null) return null;
  if (key in tree) return (tree as Record<string, unknown>)[key];
  for (const value of Object.values(tree)) {
    const found = findKey(value, key);
    if (found !== null && found !== undefined) return found;
  }
  return null;
}

/** floor(amount (scale `fromScale`) × price) in minor units of scale `toScale`; null if the price is not a plain decimal. */
function floorProduct(amountMinor: bigint, price: string, fromScale: number, toScale: number): bigint | null {
  const match = /^([0-9]+)(?:\.([0-9]+))?$/.exec(price);
  if (match === null) return null;
  const decimals = match[2] ?? "";
  const priceUnits = BigInt(`${match[1]}${decimals}`);
  const numerator = amountMinor * priceUnits * 10n ** BigInt(toScale);
  const denominator = 10n ** BigInt(fromScale + decimals.length);
  return numerator / denominator;
}
