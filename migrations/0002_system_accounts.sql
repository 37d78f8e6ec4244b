-- System accounts, one set per asset, with stable ids. Issuance accounts are the only ones
-- allowed a negative balance: minus that balance is what was ever issued (minted) of the asset.
-- Burn accounts only receive: their balance is what was ever burned.
INSERT INTO accounts (id, owner_id, asset, kind, name, flags, created_at) VALUES
  ('acc_issuance_cc', NULL, 'CC', 'issuance', 'CC issuance', 0, 0),
  ('acc_burn_cc', NULL, 'CC', 'burn', 'CC burned', 1, 0),
  ('acc_treasury_cc', NULL, 'CC', 'treasury', 'ThreeFold treasury (CC)', 1, 0),
  ('acc_escrow_cc', NULL, 'CC', 'escrow', 'Marketplace escrow (CC)', 1, 0),
  ('acc_issuance_tft', NULL, 'TFT', 'issuance', 'TFT outside custody (chain)', 0, 0),
  ('acc_vault_tft', NULL, 'TFT', 'vault', 'TFT locked in the vault', 1, 0),
  ('acc_burn_tft', NULL, 'TFT', 'burn', 'TFT burned', 1, 0),
  ('acc_issuance_tfp', NULL, 'TFP', 'issuance', 'TFP issuance', 0, 0),
  ('acc_burn_tfp', NULL, 'TFP', 'burn', 'TFP burned', 1, 0),
  ('acc_treasury_tfp', NULL, 'TFP', 'treasury', 'ThreeFold treasury (TFP)', 1, 0),
  ('acc_issuance_usdc', NULL, 'USDC', 'issuance', 'USDC outside custody', 0, 0),
  ('acc_treasury_usdc', NULL, 'USDC', 'treasury', 'ThreeFold treasury (USDC)', 1, 0),
  ('acc_issuance_usd', NULL, 'USD', 'issuance', 'USD received from payment providers', 0, 0),
  ('acc_treasury_usd', NULL, 'USD', 'treasury', 'ThreeFold treasury (USD)', 1, 0);
