import { LineCounter, parseDocument } from "yaml";
import { createErrorMap } from "zod-validation-error";
import { parseJsonSource } from "./json-source.js";
import { nestingProblem } from "./nesting-guard.js";
import { ManifestError, type ManifestIssue } from "./manifest-error.js";
import { manifestSchema, type Manifest } from "./manifest-schema.js";
import { toManifestIssues } from "./schema-issues.js";
import { manifestSecrets, rememberSecretOrigin } from "./secrets.js";
import { positionsOf, yamlLocate, type Locate, type Position } from "./source-position.js";

/** The syntax a manifest is written in. */
export type ManifestFormat = "yaml" | "json";

/** Options for {@link parseManifest}. */
export interface ParseManifestOptions {
  /** The file name reported in errors (and used to pick the format when `format` is absent). */
  file: string;
  /** `json` for `*.json` files, otherwise `yaml` (which also reads JSON) unless given. */
  format?: ManifestFormat;
}

/** Messages for issues our schema has no wording for, from zod-validation-error. */
const fallbackErrors = createErrorMap({ reportInput: false });

/** Aliases beyond this many are refused, so a small "billion laughs" file cannot blow up. */
const MAX_ALIASES = 100;

/** `json` for a `.json` file name, `yaml` for anything else. @private */
export function formatOf(file: string): ManifestFormat {
  return /\.json$/i.test(file) ? "json" : "yaml";
}

interface Source {
  data: unknown;
  locate: Locate;
}

function syntaxIssue(file: string, position: Position, message: string, found: string): ManifestIssue {
  return {
    code: "syntax",
    file,
    ...position,
    path: [],
    expected: "valid syntax",
    found,
    message,
  };
}

function readYaml(text: string, file: string, position: (offset: number) => Position): Source {
  const tooDeep = nestingProblem(text);
  if (tooDeep !== undefined) {
    throw new ManifestError([
      syntaxIssue(file, position(tooDeep.offset), `invalid YAML: ${tooDeep.message}`, "deeper nesting"),
    ]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, merge: true, uniqueKeys: true, logLevel: "error" });
  if (doc.errors.length > 0) {
    throw new ManifestError(
      doc.errors.map((error) => {
        const linePos = error.linePos?.[0];
        const at = linePos === undefined ? position(error.pos[0]) : { line: linePos.line, column: linePos.col };
        // The yaml library appends " at line L, column C:" and a source excerpt; we print our own.
        const message = (error.message.split("\n")[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, "");
        const found = JSON.stringify(text.slice(error.pos[0], Math.min(error.pos[1], error.pos[0] + 20)));
        return syntaxIssue(file, at, `invalid YAML: ${message}`, found);
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (cause) {
    // Unresolvable or excessive aliases surface only when converting.
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new ManifestError([syntaxIssue(file, { line: 1, column: 1 }, `invalid YAML: ${message}`, "aliases")], {
      cause,
    });
  }
  return { data, locate: yamlLocate(doc) };
}

function readJson(text: string, file: string, position: (offset: number) => Position): Source {
  const parsed = parseJsonSource(text);
  if (!parsed.ok) {
    throw new ManifestError(
      parsed.problems.map((problem) =>
        syntaxIssue(
          file,
          position(problem.offset),
          `invalid JSON: ${problem.message}`,
          JSON.stringify(text.slice(problem.offset, problem.offset + 20)),
        ),
      ),
    );
  }
  return { data: parsed.value, locate: parsed.locate };
}

/**
 * Paths of every own `__proto__` key in the data. zod drops such keys from records
 * without a word (copying them would replace a prototype), so they are reported here.
 */
function protoKeyPaths(data: unknown): Array<Array<string | number>> {
  const found: Array<Array<string | number>> = [];
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value: data, path: [] }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value, path } = next;
    if (typeof value !== "object" || value === null) continue;
    if (Array.isArray(value)) {
      value.forEach((item, index) => stack.push({ value: item, path: [...path, index] }));
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      if (key === "__proto__") found.push([...path, key]);
      stack.push({ value: item, path: [...path, key] });
    }
  }
  return found;
}

/**
 * Parses and validates a manifest from text, applying defaults. Every problem is
 * reported at once in one {@link ManifestError}, each with its line and column.
 */
export function parseManifest(text: string, options: ParseManifestOptions): Manifest {
  const { file } = options;
  const format = options.format ?? formatOf(file);
  // A byte-order mark is invisible to the author; dropping it keeps columns right.
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const position = positionsOf(source);

  let read: Source;
  try {
    read = format === "json" ? readJson(source, file, position) : readYaml(source, file, position);
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    // Whatever else a parser throws (a stack overflow on absurd nesting), it is still this file's fault.
    const message = error instanceof Error ? error.message : String(error);
    throw new ManifestError([syntaxIssue(file, { line: 1, column: 1 }, `cannot read ${format}: ${message}`, "unreadable text")], {
      cause: error,
    });
  }

  const locatePosition = (path: Array<string | number>): Position => position(read.locate(path));
  const result = manifestSchema.safeParse(read.data, { error: fallbackErrors });
  const protoKeys = protoKeyPaths(read.data);
  if (result.success && protoKeys.length === 0) {
    const { $schema: _schema, ...manifest } = result.data;
    for (const secret of manifestSecrets(manifest)) {
      rememberSecretOrigin(secret.ref, { file, ...locatePosition(secret.path), path: secret.path });
    }
    return manifest;
  }

  const issues = toManifestIssues(result.success ? [] : result.error.issues, {
    file,
    data: read.data,
    schema: manifestSchema,
    position: locatePosition,
  }).filter((issue) => issue.path[issue.path.length - 1] !== "__proto__");
  for (const path of protoKeys) {
    issues.push({
      code: "invalid_value",
      file,
      ...locatePosition(path),
      path,
      expected: "a key other than __proto__",
      found: '"__proto__"',
      message: '"__proto__" cannot be used as a key',
    });
  }
  // Document order reads best; the sort is stable, so one spot's issues keep zod's order.
  issues.sort((a, b) => a.line - b.line || a.column - b.column);
  throw new ManifestError(issues);
}

/**
 * Where `path` (e.g. `["libraries", "dspy", "members", "Predict.__call__", "returns"]`)
 * is written in a manifest's text: its line and column (the nearest written parent's
 * when it is absent), for issues found after parsing (codegen overrides).
 */
export function positionIn(text: string, options: ParseManifestOptions, path: ReadonlyArray<string | number>): Position {
  const format = options.format ?? formatOf(options.file);
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const position = positionsOf(source);
  const read = format === "json" ? readJson(source, options.file, position) : readYaml(source, options.file, position);
  return position(read.locate([...path]));
}
