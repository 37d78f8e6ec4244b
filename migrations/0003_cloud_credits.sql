-- Reserved for this area's tables (hand-written SQL; see docs/ARCHITECTURE.md "Migrations").
SELECT 1;
