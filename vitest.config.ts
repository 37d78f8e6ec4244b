import { defineConfig } from "vitest/config";

/**
 * Two projects: pure domain and tool tests in plain Node (fast), and route / Durable Object /
 * ledger tests inside workerd against a real local libSQL server started by the global setup.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["test/domain/**/*.test.ts", "test/tools/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
        },
      },
    ],
  },
});
