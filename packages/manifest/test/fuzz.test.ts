import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ManifestError, manifestHash, parseManifest, type ManifestFormat } from "@bridge/manifest";

/** More runs for a bug hunt: FUZZ_RUNS=20000 npx vitest run test/fuzz.test.ts */
const runs = Number(process.env["FUZZ_RUNS"] ?? 500);

const example = readFileSync(fileURLToPath(new URL("../examples/dspy.bridge.yaml", import.meta.url)), "utf8");

/**
 * Parsing either succeeds or throws a ManifestError whose every issue points inside
 * the text (1-based line and column) and names the file. Anything else fails the property.
 */
function parsesOrReports(text: string, format: ManifestFormat): void {
  const file = `fuzz.bridge.${format}`;
  try {
    parseManifest(text, { file, format });
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    expect(error.issues.length).toBeGreaterThan(0);
    const lines = text.replace(/^\uFEFF/, "").split("\n");
    for (const issue of error.issues) {
      expect(issue.file).toBe(file);
      expect(issue.line).toBeGreaterThanOrEqual(1);
      expect(issue.column).toBeGreaterThanOrEqual(1);
      expect(issue.line).toBeLessThanOrEqual(lines.length);
      expect(issue.message.length).toBeGreaterThan(0);
      expect(typeof issue.expected).toBe("string");
      expect(typeof issue.found).toBe("string");
    }
    expect(error.message.split("\n")).toHaveLength(error.issues.length);
  }
}

const keys = fc.constantFrom(
  "version", "python", "libraries", "codegen", "telemetry", "pool", "dependencies", "module", "include",
  "exclude", "depth", "rename", "streaming", "members", "returns", "params",
  "kwargs", "env", "size", "threads", "maxInflight", "outDir", "naming", "indexUrl",
  "extraIndexUrls", "enabled", "dspy", "__proto__", "constructor", "", "dependecies",
);
const leaves = fc.oneof(
  fc.constantFrom(1, 0, -1, 1.5, 2 ** 60, true, false, null, "", "dspy", "dspy>=3", ">=3.10", "stateful", "msgpack", "x y"),
  fc.string(),
  fc.integer(),
  fc.double(),
);
/** JSON-ish values whose keys are often the manifest's own, so validation goes deep. */
const manifestish = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, leaves, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(keys, fc.string()), tie("value"), { maxKeys: 6 }),
})).value;

describe("fuzzing: malformed input only ever yields ManifestError with positions", () => {
  it("arbitrary strings as YAML", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => parsesOrReports(text, "yaml")), {
      numRuns: runs,
    });
  });

  it("arbitrary strings as JSON", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => parsesOrReports(text, "json")), {
      numRuns: runs,
    });
  });

  it("YAML-looking strings", () => {
    const tokens = fc.constantFrom(
      "version: 1\n", "  ", "- ", ": ", "{", "}", "[", "]", ",", "&a ", "*a", "<<: ", "!!binary ", "!tag ",
      '"', "'", "#", "\n", "\t", "? ", "|\n", ">\n", "---\n", "...\n", "%YAML 1.1\n", "libraries:\n", "dspy",
    );
    fc.assert(
      fc.property(fc.array(tokens, { maxLength: 40 }), (parts) => parsesOrReports(parts.join(""), "yaml")),
      { numRuns: runs },
    );
  });

  it("arbitrary JSON-ish objects rendered to YAML and JSON", () => {
    fc.assert(
      fc.property(fc.oneof(manifestish, fc.jsonValue()), (value) => {
        parsesOrReports(stringify(value), "yaml");
        parsesOrReports(JSON.stringify(value) ?? "", "json");
      }),
      { numRuns: runs },
    );
  });

  it("manifest-shaped documents with random values", () => {
    const document = fc.record(
      {
        version: fc.oneof(fc.constant(1), leaves),
        python: fc.record(
          { version: leaves, dependencies: fc.array(leaves, { maxLength: 3 }), indexUrl: fc.oneof(leaves, fc.record({ env: leaves })) },
          { requiredKeys: [] },
        ),
        libraries: fc.dictionary(fc.oneof(keys, fc.string()), manifestish, { maxKeys: 3 }),
        pool: fc.record({ size: leaves, env: fc.dictionary(fc.string(), fc.oneof(leaves, fc.record({ env: leaves }))) }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(document, (value) => {
        parsesOrReports(stringify(value), "yaml");
        parsesOrReports(JSON.stringify(value), "json");
      }),
      { numRuns: runs },
    );
  });

  it("the example manifest with random edits", () => {
    const edit = fc.tuple(fc.nat({ max: example.length }), fc.nat({ max: 8 }), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let text = example;
        for (const [at, remove, insert] of edits) text = text.slice(0, at) + insert + text.slice(at + remove);
        parsesOrReports(text, "yaml");
      }),
      { numRuns: runs },
    );
  });
});

describe("fuzzing: the hash depends on content only", () => {
  const shuffled = <T>(items: T[], seed: number): T[] =>
    items
      .map((item, index) => ({ item, key: Math.sin(seed * 997 + index * 131) }))
      .sort((a, b) => a.key - b.key)
      .map(({ item }) => item);
  const reorder = (value: unknown, seed: number): unknown => {
    if (Array.isArray(value)) return value.map((item) => reorder(item, seed));
    if (typeof value !== "object" || value === null) return value;
    return Object.fromEntries(shuffled(Object.entries(value), seed).map(([key, item]) => [key, reorder(item, seed + 1)]));
  };
  const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
  const packageName = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/);
  const validDocument = fc.record({
    version: fc.constant(1),
    python: fc.record({ dependencies: fc.array(packageName.map((n) => `${n}>=1`), { maxLength: 3 }) }),
    libraries: fc.dictionary(
      name,
      fc.record(
        {
          module: name,
          depth: fc.nat({ max: 5 }),
          include: fc.array(name, { maxLength: 3 }),
          streaming: fc.array(name, { maxLength: 2 }),
        },
        { requiredKeys: ["module"] },
      ),
      { maxKeys: 3 },
    ),
    pool: fc.record({ size: fc.integer({ min: 1, max: 8 }), env: fc.dictionary(name.map((n) => n.toUpperCase()), fc.oneof(name, name.map((n) => ({ env: n.toUpperCase() })))) }),
  });

  it("is the same for reordered keys, YAML and JSON", () => {
    fc.assert(
      fc.property(validDocument, fc.integer(), (value, seed) => {
        const base = manifestHash(parseManifest(stringify(value), { file: "a.bridge.yaml" }));
        expect(manifestHash(parseManifest(stringify(reorder(value, seed)), { file: "a.bridge.yaml" }))).toBe(base);
        expect(manifestHash(parseManifest(JSON.stringify(reorder(value, seed), null, 2), { file: "a.bridge.json" }))).toBe(base);
      }),
      { numRuns: Math.ceil(runs / 2) },
    );
  });
});
