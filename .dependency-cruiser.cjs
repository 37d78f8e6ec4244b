/**
 * The house plan's import rules (docs/ARCHITECTURE.md), checked by `npm test` (`npm run deps`).
 * Areas: market, credits, pools, oracle; the ledger and the kit serve them all. Inside an area:
 * core/ (pure) ← store/ (its tables) ← object/ (its Durable Object) ← flows/ (orchestration).
 */
const area = "(market|credits|pools|oracle|ledger|events)";
const kitPure = "^src/kit/(result|errors|ids|text|clock)\\.ts$";
const cores = "^src/(market|credits|pools|oracle|ledger)/core/";

module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "No module takes part in an import cycle.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "core-is-pure",
      comment: "A core imports only other cores, the kit's pure modules, decimal.js and zod.",
      severity: "error",
      from: { path: cores },
      to: {
        pathNot: [cores, kitPure, "^node_modules/(decimal\\.js|zod)/"],
      },
    },
    {
      name: "kit-is-below-the-areas",
      comment:
        "The kit imports nothing from the areas, the routes or the app, except the ledger's money core.",
      severity: "error",
      from: { path: "^src/kit/" },
      to: { path: "^src/", pathNot: ["^src/kit/", "^src/ledger/core/money\\.ts$"] },
    },
    {
      name: "areas-stay-apart",
      comment: "No area imports another area, except the oracle's prices and the ledger.",
      severity: "error",
      from: { path: `^src/${area}/` },
      to: {
        path: `^src/${area}/`,
        pathNot: ["^src/$1/", "^src/ledger/", "^src/oracle/(core/|prices\\.ts$)"],
      },
    },
    {
      name: "areas-do-not-import-routes-or-app",
      severity: "error",
      from: { path: `^src/(${area.slice(1, -1)}|kit)/` },
      to: { path: "^src/(routes/|app\\.ts$|worker\\.ts$|scheduled\\.ts$)" },
    },
    {
      name: "store-below-object-and-flows",
      comment:
        "A store reads and writes its tables: it imports cores, the kit, the ledger and its own area's stores.",
      severity: "error",
      from: { path: "^src/([^/]+)/store/" },
      to: { path: "^src/[^/]+/(object|flows)/" },
    },
    {
      name: "object-below-flows",
      comment: "A Durable Object never calls back into the flows that drive it.",
      severity: "error",
      from: { path: "^src/[^/]+/object/" },
      to: { path: "^src/[^/]+/flows/" },
    },
    {
      name: "routes-use-the-contract",
      comment: "Routes reach a Durable Object through its typed contract, never its class file.",
      severity: "error",
      from: { path: "^src/routes/" },
      to: { path: "^src/[^/]+/object/", pathNot: "^src/[^/]+/object/contract\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^(test|tools|public)/" },
  },
};
