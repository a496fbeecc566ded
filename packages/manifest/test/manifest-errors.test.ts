import { describe, expect, it } from "vitest";
import { ManifestError, parseManifest, type ManifestIssue } from "@bridge/manifest";

/** The ManifestError `fn` throws; fails the test if it throws anything else or nothing. */
function manifestError(fn: () => unknown): ManifestError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  throw new Error("expected a ManifestError");
}

function issuesOf(text: string, file = "dspy.bridge.yaml"): ManifestIssue[] {
  return [...manifestError(() => parseManifest(text, { file })).issues];
}

const brokenYaml = [
  "version: 1", //                                 1
  "python:", //                                    2
  '  version: "3.11"', //                          3
  "  dependecies: [dspy>=3]", //                   4
  "libraries:", //                                 5
  "  dspy:", //                                    6
  "    depth: deep", //                            7
  "    streaming: stream", //                      8
  "    include: [Predict, 3]", //                  9
  "pool:", //                                      10
  "  size: 0", //                                  11
  "",
].join("\n");

describe("manifest errors", () => {
  it("reports every problem at once, each at its line and column", () => {
    const issues = issuesOf(brokenYaml);
    expect(issues.map((issue) => [issue.line, issue.column, issue.path, issue.code])).toEqual([
      [3, 3, ["python", "version"], "invalid_value"],
      [4, 3, ["python", "dependecies"], "unknown_key"],
      [6, 3, ["libraries", "dspy", "module"], "missing_key"],
      [7, 5, ["libraries", "dspy", "depth"], "invalid_value"],
      [8, 5, ["libraries", "dspy", "streaming"], "invalid_value"],
      [9, 24, ["libraries", "dspy", "include", 1], "invalid_value"],
      [11, 3, ["pool", "size"], "invalid_value"],
    ]);
    expect(issues.every((issue) => issue.file === "dspy.bridge.yaml")).toBe(true);
  });

  it("says what was expected and what was found", () => {
    const depth = issuesOf(brokenYaml).find((issue) => issue.path.join(".") === "libraries.dspy.depth");
    expect(depth).toMatchObject({ expected: "a non-negative integer", found: '"deep"' });
    const error = manifestError(() => parseManifest(brokenYaml, { file: "dspy.bridge.yaml" }));
    const lines = error.message.split("\n");
    expect(lines).toHaveLength(7);
    expect(lines).toContain('dspy.bridge.yaml:7:5 libraries.dspy.depth: expected a non-negative integer, found "deep"');
    expect(lines.some((line) => line.startsWith("dspy.bridge.yaml:8:5 libraries.dspy.streaming: expected a list of Python names"))).toBe(true);
    expect(lines).toContain(
      "dspy.bridge.yaml:6:3 libraries.dspy.module: expected a Python module name such as \"dspy\" or \"sklearn.linear_model\", found nothing (the key is required)",
    );
    expect(error.name).toBe("ManifestError");
  });

  it("rejects unknown keys and suggests the known key they resemble", () => {
    const [issue] = issuesOf(brokenYaml).filter((i) => i.code === "unknown_key");
    expect(issue).toMatchObject({
      line: 4,
      column: 3,
      found: '"dependecies"',
      expected: "one of version, dependencies, indexUrl, extraIndexUrls",
      hint: 'did you mean "dependencies"?',
    });
    expect(issue?.message).toContain('did you mean "dependencies"?');
  });

  it.each([
    ["librarys: {}", "libraries"],
    ["Version: 1", "version"],
    ["pool: { start_timeout_ms: 5 }", "startTimeoutMs"],
    ["pool: { sise: 2 }", "size"],
    ["libraries: { x: { module: x, stream: [f] } }", "streaming"],
    ["libraries: { x: { module: x, members: { f: { return: int } } } }", "returns"],
  ])("suggests a fix for %j", (line, suggestion) => {
    const issues = issuesOf(`version: 1\n${line}\n`).filter((issue) => issue.code === "unknown_key");
    expect(issues).toHaveLength(1);
    expect(issues[0]?.hint).toBe(`did you mean "${suggestion}"?`);
  });

  it("reports memo hints that contradict each other or have no TTL", () => {
    const both = issuesOf("version: 1\nlibraries: { x: { module: x, members: { f: { pure: true, cacheable: { ttlMs: 5 } } } } }\n");
    expect(both.map((i) => [i.path, i.message])).toEqual([[["libraries", "x", "members", "f", "cacheable"], expect.stringContaining("pure or cacheable, not both")]]);
    const ttl = issuesOf("version: 1\nlibraries: { x: { module: x, members: { f: { cacheable: { ttlMs: 0 } } } } }\n");
    expect(ttl.map((i) => i.path)).toEqual([["libraries", "x", "members", "f", "cacheable", "ttlMs"]]);
    expect(issuesOf("version: 1\nlibraries: { x: { module: x, members: { f: { cacheable: {} } } } }\n")[0]?.path).toEqual(["libraries", "x", "members", "f", "cacheable", "ttlMs"]);
  });

  it("gives no suggestion when nothing is close", () => {
    const [issue] = issuesOf("version: 1\nwhatever: 3\n");
    expect(issue).toMatchObject({ code: "unknown_key", line: 2, column: 1 });
    expect(issue?.hint).toBeUndefined();
  });

  it("reports the bad PEP 508 requirement by its index", () => {
    const text = 'version: 1\npython:\n  dependencies:\n    - dspy>=3\n    - "numpy >= two"\n    - ok[a,b]; python_version >= "3.11"\n    - "bad; nonsense"\n';
    const issues = issuesOf(text);
    expect(issues.map((issue) => [issue.path, issue.line, issue.column, issue.found])).toEqual([
      [["python", "dependencies", 1], 5, 7, '"numpy >= two"'],
      [["python", "dependencies", 3], 7, 7, '"bad; nonsense"'],
    ]);
    expect(issues[0]?.expected).toBe('a PEP 508 requirement such as "dspy>=3"');
    expect(issues[0]?.hint).toBe('bad version specifier ">= two"');
  });

  it("reports a python.version that is not a PEP 440 specifier set", () => {
    const [issue] = issuesOf('version: 1\npython:\n  version: "3.11"\n');
    expect(issue).toMatchObject({
      line: 3,
      column: 3,
      path: ["python", "version"],
      found: '"3.11"',
      hint: 'add an operator, e.g. ">=3.11" or "==3.11.*"',
    });
    expect(issuesOf('version: 1\npython: { version: ">=3.10,,<4" }\n')[0]?.path).toEqual(["python", "version"]);
  });

  it("reports YAML syntax errors with the parser's line and column", () => {
    const issues = issuesOf("version: 1\npython:\n  dependencies: [dspy\nlibraries: {}\n");
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: "syntax", line: 4, column: 1 });
    expect(issues[0]?.message).toMatch(/^invalid YAML: /);
  });

  it("reports duplicate keys", () => {
    const yaml = issuesOf("version: 1\nversion: 1\n");
    expect(yaml[0]).toMatchObject({ code: "syntax", line: 2, column: 1 });
    const json = issuesOf('{\n  "version": 1,\n  "version": 1\n}', "m.bridge.json");
    expect(json[0]).toMatchObject({ code: "syntax", line: 3, column: 3, message: 'invalid JSON: duplicate key "version"' });
  });

  it("reports JSON syntax errors with line and column", () => {
    const [issue] = issuesOf('{\n  "version": 1,\n  "libraries": {},\n}\n', "m.bridge.json");
    expect(issue).toMatchObject({ code: "syntax", line: 4, column: 1, file: "m.bridge.json" });
    expect(issue?.message).toBe('invalid JSON: expected a double-quoted key, found "}"');
  });

  it("positions JSON validation errors at their keys", () => {
    const text = '{\n  "version": 1,\n  "libraries": {\n    "x": { "module": "x", "depth": -1 }\n  }\n}\n';
    const [issue] = issuesOf(text, "m.bridge.json");
    expect(issue).toMatchObject({ line: 4, column: 27, path: ["libraries", "x", "depth"], found: "-1" });
  });

  it("reports the inner problem of a secret, not just the union", () => {
    const [issue] = issuesOf("version: 1\npool:\n  env:\n    KEY: { env: 1 }\n");
    expect(issue).toMatchObject({ path: ["pool", "env", "KEY", "env"], line: 4, column: 12 });
    expect(issue?.expected).toMatch(/environment variable name/);
  });

  it("reports bad keys of records at the key", () => {
    const [issue] = issuesOf("version: 1\nlibraries:\n  bad name: { module: x }\n");
    expect(issue).toMatchObject({ line: 3, column: 3, path: ["libraries", "bad name"], found: '"bad name"' });
    expect(issue?.message).toMatch(/as the key/);
  });

  it("rejects a name both included and excluded", () => {
    const [issue] = issuesOf("version: 1\nlibraries:\n  x:\n    module: x\n    include: [A, B]\n    exclude: [B]\n");
    expect(issue).toMatchObject({ path: ["libraries", "x", "exclude", 0], line: 6, column: 15 });
  });

  it("reports an empty file as such", () => {
    expect(issuesOf("# nothing here\n")[0]).toMatchObject({ line: 1, column: 1, found: "an empty document" });
  });

  it("refuses alias bombs", () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++) lines.push(`${"abcdefgh"[i]}: &${"abcdefgh"[i]} [${Array(10).fill(`*${"abcdefgh"[i - 1]}`).join(", ")}]`);
    const [issue] = issuesOf(lines.join("\n"));
    expect(issue).toMatchObject({ code: "syntax" });
  });

  it("refuses absurd nesting before the YAML parser can overflow its stack", () => {
    expect(issuesOf("[".repeat(10_000) + "]".repeat(10_000))[0]).toMatchObject({ code: "syntax", line: 1, column: 65 });
    const deepBlock = ["a:", ...Array.from({ length: 500 }, (_, i) => `${" ".repeat(i + 1)}b:`)].join("\n");
    expect(issuesOf(deepBlock)[0]).toMatchObject({ code: "syntax", line: 130, column: 129 });
    expect(issuesOf("[".repeat(10_000), "m.bridge.json")[0]).toMatchObject({ code: "syntax", line: 1, column: 258 });
    // Brackets in strings and comments are not nesting.
    const quoted = `version: 1\ncodegen: { outDir: "${"[".repeat(100)}" } # ${"{".repeat(100)}\n`;
    expect(parseManifest(quoted, { file: "m.bridge.yaml" }).codegen.outDir).toBe("[".repeat(100));
  });

  it("reports __proto__ keys, which would otherwise vanish", () => {
    const [issue] = issuesOf("version: 1\nlibraries:\n  __proto__: { module: x }\n");
    expect(issue).toMatchObject({ line: 3, column: 3, path: ["libraries", "__proto__"], found: '"__proto__"' });
    expect(issuesOf('{"version": 1, "__proto__": {}}', "m.bridge.json")).toHaveLength(1);
  });

  it("refuses several YAML documents in one file", () => {
    expect(issuesOf("version: 1\n---\nversion: 1\n")[0]).toMatchObject({ code: "syntax", line: 2, column: 1 });
  });
});
