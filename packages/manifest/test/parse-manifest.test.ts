import { describe, expect, it } from "vitest";
import { parseManifest, type Manifest } from "@bridge/manifest";

const minimal = "version: 1\n";

const everyField = `
version: 1
python:
  version: ">=3.10,<3.13"
  dependencies: ["dspy>=3", "numpy[dev]>=2,<3; python_version >= '3.11'"]
  indexUrl: { env: PRIVATE_INDEX_URL }
  extraIndexUrls:
    - https://download.pytorch.org/whl/cpu
    - { env: EXTRA_INDEX }
libraries:
  dspy:
    module: dspy
    include: [Predict, utils.DummyLM, teleprompt]
    exclude: [teleprompt.MIPROv2]
    depth: 3
    rename: { "Predict.__call__": call }
    streaming: [streamify]
    members:
      Predict.__call__: { returns: Prediction }
      Predict.forward: { params: { question: string }, kwargs: "{ question: string }" }
      utils.normalize_text: { pure: true }
      utils.download: { cacheable: { ttlMs: 60000 } }
codegen:
  outDir: gen/py
  naming: { members: preserve, classes: preserve }
telemetry:
  enabled: true
pool:
  size: 4
  startTimeoutMs: 5000
  threads: 8
  maxInflight: 64
  env:
    OPENAI_API_KEY: { env: OPENAI_API_KEY }
    DSPY_CACHEDIR: /tmp/dspy
`;

const everyFieldParsed: Manifest = {
  version: 1,
  python: {
    version: ">=3.10,<3.13",
    dependencies: ["dspy>=3", "numpy[dev]>=2,<3; python_version >= '3.11'"],
    indexUrl: { env: "PRIVATE_INDEX_URL" },
    extraIndexUrls: ["https://download.pytorch.org/whl/cpu", { env: "EXTRA_INDEX" }],
  },
  libraries: {
    dspy: {
      module: "dspy",
      include: ["Predict", "utils.DummyLM", "teleprompt"],
      exclude: ["teleprompt.MIPROv2"],
      depth: 3,
      rename: { "Predict.__call__": "call" },
      streaming: ["streamify"],
      members: {
        "Predict.__call__": { returns: "Prediction" },
        "Predict.forward": { params: { question: "string" }, kwargs: "{ question: string }" },
        "utils.normalize_text": { pure: true },
        "utils.download": { cacheable: { ttlMs: 60000 } },
      },
    },
  },
  codegen: { outDir: "gen/py", naming: { members: "preserve", classes: "preserve" } },
  telemetry: { enabled: true },
  pool: {
    size: 4,
    startTimeoutMs: 5000,
    threads: 8,
    maxInflight: 64,
    env: { OPENAI_API_KEY: { env: "OPENAI_API_KEY" }, DSPY_CACHEDIR: "/tmp/dspy" },
  },
};

describe("parseManifest", () => {
  it("applies every default to a minimal manifest", () => {
    expect(parseManifest(minimal, { file: "min.bridge.yaml" })).toStrictEqual({
      version: 1,
      python: { version: ">=3.10", dependencies: [], extraIndexUrls: [] },
      libraries: {},
      codegen: { outDir: "src/generated", naming: { members: "camelCase", classes: "PascalCase" } },
      telemetry: { enabled: false },
      pool: { size: 1, startTimeoutMs: 30000, env: {} },
    });
  });

  it("applies library defaults and leaves optional fields out", () => {
    const manifest = parseManifest("version: 1\nlibraries:\n  np:\n    module: numpy\n", { file: "np.bridge.yaml" });
    const library = manifest.libraries["np"];
    expect(library).toStrictEqual({
      module: "numpy",
      exclude: [],
      depth: 1,
      rename: {},
      streaming: [],
      members: {},
    });
    expect(library && "include" in library).toBe(false);
    expect("indexUrl" in manifest.python).toBe(false);
  });

  it("reads every field", () => {
    expect(parseManifest(everyField, { file: "all.bridge.yaml" })).toStrictEqual(everyFieldParsed);
  });

  it("reads the same manifest written as JSON", () => {
    const json = JSON.stringify({ $schema: "./bridge.schema.json", ...everyFieldParsed }, null, 2);
    expect(parseManifest(json, { file: "all.bridge.json" })).toStrictEqual(everyFieldParsed);
  });

  it("picks the format from the extension unless told", () => {
    // Valid YAML, invalid JSON: the extension decides how it is read.
    expect(() => parseManifest("version: 1", { file: "a.bridge.json" })).toThrow(/invalid JSON/);
    expect(parseManifest("version: 1", { file: "a.bridge.json", format: "yaml" }).version).toBe(1);
    expect(parseManifest('{"version": 1}', { file: "a.bridge.yaml" }).version).toBe(1);
    expect(parseManifest('{"version": 1}', { file: "no-extension" }).version).toBe(1);
  });

  it("accepts a byte-order mark, anchors and merge keys", () => {
    const text = [
      "\uFEFFversion: 1",
      "libraries:",
      "  a: &lib { module: a, depth: 2 }",
      "  b:",
      "    <<: *lib",
      "    module: b",
      "",
    ].join("\n");
    const manifest = parseManifest(text, { file: "m.bridge.yaml" });
    expect(manifest.libraries["b"]?.module).toBe("b");
    expect(manifest.libraries["b"]?.depth).toBe(2);
  });

  it("drops $schema, which is for editors", () => {
    const manifest = parseManifest('{"$schema": "x.json", "version": 1}', { file: "m.bridge.json" });
    expect(manifest).not.toHaveProperty("$schema");
  });
});
