import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * Shared vitest settings: workspace packages resolve to their TypeScript sources
 * (the "@bridge/source" export condition), and integration tests run real Python
 * workers from $BRIDGE_PYTHON or the repo's dev environment (python/.venv).
 */
export default defineConfig({
  resolve: { conditions: ["@bridge/source"] },
  ssr: { resolve: { conditions: ["@bridge/source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start Python processes; on 2 cores, one file at a time is steadier.
    fileParallelism: false,
    env: {
      BRIDGE_PYTHON: process.env.BRIDGE_PYTHON ?? `${root}python/.venv/bin/python`,
    },
  },
});
