import { describe, expect, it } from "vitest";
import { canonicalManifest, manifestHash, parseManifest } from "@bridge/manifest";

const yaml = `# The DSPy manifest
version: 1
python:
  version: ">=3.10"
  dependencies: ["dspy>=3"]  # the library
libraries:
  dspy:
    module: dspy
    include: [Predict, ChainOfThought]
    streaming: [streamify]
pool:
  env:
    KEY: { env: OPENAI_API_KEY }
`;

/** The same content: keys reordered, comments gone, flow style, defaults spelled out. */
const reordered = `pool: {env: {KEY: {env: OPENAI_API_KEY}}, size: 1}
libraries: {dspy: {streaming: [streamify], include: [Predict, ChainOfThought], module: dspy, depth: 1}}
python: {dependencies: ["dspy>=3"], version: ">=3.10"}
codegen: {outDir: src/generated}
version: 1
`;

const json = JSON.stringify({
  libraries: { dspy: { include: ["Predict", "ChainOfThought"], module: "dspy", streaming: ["streamify"] } },
  pool: { env: { KEY: { env: "OPENAI_API_KEY" } } },
  python: { dependencies: ["dspy>=3"] },
  version: 1,
});

const hashOf = (text: string, file = "m.bridge.yaml"): string => manifestHash(parseManifest(text, { file }));

describe("manifestHash", () => {
  it("is a sha256 hex digest", () => {
    expect(hashOf(yaml)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("is stable under key order, comments, formatting and defaults written out", () => {
    expect(hashOf(reordered)).toBe(hashOf(yaml));
  });

  it("is the same for YAML and JSON of the same content", () => {
    expect(hashOf(json, "m.bridge.json")).toBe(hashOf(yaml));
  });

  it("changes when a dependency changes", () => {
    expect(hashOf(yaml.replace("dspy>=3", "dspy>=3.0.1"))).not.toBe(hashOf(yaml));
  });

  it("changes when any setting changes", () => {
    expect(hashOf(yaml.replace("streamify", "stream"))).not.toBe(hashOf(yaml));
    expect(hashOf(yaml.replace("OPENAI_API_KEY", "OTHER_KEY"))).not.toBe(hashOf(yaml));
  });

  it("hashes canonical JSON with sorted keys and secrets as references", () => {
    const canonical = canonicalManifest(parseManifest(yaml, { file: "m.bridge.yaml" }));
    expect(canonical.startsWith('{"codegen":{"naming":{"classes":"PascalCase","members":"camelCase"},"outDir":"src/generated"},"libraries":')).toBe(true);
    expect(canonical).toContain('"env":{"KEY":{"env":"OPENAI_API_KEY"}}');
    expect(canonical).not.toMatch(/\s"|"\s/);
  });
});
