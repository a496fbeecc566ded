import { defineConfig } from "tsup";

// The bench runs compiled (node dist/main.js): cold-start figures must not include a
// TypeScript loader. Its dependencies stay external, loaded from their own dist.
export default defineConfig({
  entry: ["src/main.ts", "src/child.ts"],
  format: ["esm"],
  target: "node20",
  outDir: "dist",
  clean: true,
  splitting: true,
  external: [/^@bridge\//, /^@opentelemetry\//, "pythonia", "node-calls-python"],
});
