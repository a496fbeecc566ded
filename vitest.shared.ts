import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import type { Reporter } from "vitest/node";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * In CI a skipped test fails the run: every test that exists runs there. A test that
 * may be skipped on other machines says so in docs/TESTING.md.
 */
const noSkipsInCi: Reporter = {
  onTestRunEnd(testModules) {
    if (!process.env.CI) return;
    const skipped = testModules.flatMap((module) => [...module.children.allTests("skipped")]);
    if (skipped.length === 0) return;
    for (const test of skipped) {
      const note = test.result().state === "skipped" ? test.result().note : undefined;
      console.error(`skipped in CI: ${test.module.relativeModuleId} > ${test.fullName}${note ? ` (${note})` : ""}`);
    }
    console.error(`${skipped.length} test(s) skipped: every test runs in CI (docs/TESTING.md)`);
    process.exitCode = 1;
  },
};

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
    reporters: ["default", noSkipsInCi],
    env: {
      BRIDGE_PYTHON: process.env.BRIDGE_PYTHON ?? `${root}python/.venv/bin/python`,
    },
  },
});
