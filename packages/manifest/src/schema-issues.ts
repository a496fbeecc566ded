import type * as z from "zod";
import { didYouMean } from "./did-you-mean.js";
import type { ManifestIssue } from "./manifest-error.js";
import type { Position } from "./source-position.js";

type ZodIssue = z.core.$ZodIssue;
type Path = Array<string | number>;

/** What converting zod's issues needs to know about the document. @private */
export interface IssueContext {
  file: string;
  /** The document as data, to show what was found. */
  data: unknown;
  /** The schema the data was checked against, to list the keys it knows. */
  schema: z.core.$ZodType;
  /** The position of the deepest written part of a path. */
  position: (path: Path) => Position;
}

function toPath(path: readonly PropertyKey[]): Path {
  return path.map((segment) => (typeof segment === "number" ? segment : String(segment)));
}

/** The value at `path` in `data`, or `present: false` when the path leaves the data. */
function valueAt(data: unknown, path: Path): { present: boolean; value: unknown } {
  let value = data;
  for (const segment of path) {
    if (typeof value !== "object" || value === null) return { present: false, value: undefined };
    if (!Object.prototype.hasOwnProperty.call(value, segment)) return { present: false, value: undefined };
    value = (value as Record<string | number, unknown>)[segment];
  }
  return { present: true, value };
}

/**
 * How a found value reads in a message: strings quoted (and shortened), lists and
 * mappings by kind, `nothing` for an absent key.
 * @private
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (value instanceof Date) return "a date";
  if (value instanceof Uint8Array) return "binary data";
  if (typeof value === "object") return Object.keys(value).length === 0 ? "an empty mapping" : "a mapping";
  return typeof value;
}

/** Fallback messages (zod-validation-error's) read "expected ..."; ours are the expectation alone. */
function expectationOf(issue: ZodIssue): string {
  const message = issue.message;
  return message.startsWith("expected ") ? message.slice("expected ".length) : message;
}

/** Peels wrappers (optional, default, prefault, pipe) off a schema. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (let i = 0; i < 16; i++) {
    const def = current._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    const inner = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
    if (inner === undefined) return current;
    current = inner;
  }
  return current;
}

/** The keys the schema allows for the mapping at `path`, in schema order. */
function knownKeysAt(schema: z.core.$ZodType, path: Path): string[] {
  const candidates: z.core.$ZodType[] = [schema];
  for (const segment of path) {
    const next: z.core.$ZodType[] = [];
    for (const candidate of candidates) {
      const options = unionOptions(unwrap(candidate));
      for (const option of options) {
        const def = unwrap(option)._zod.def as {
          type: string;
          shape?: Record<string, z.core.$ZodType>;
          valueType?: z.core.$ZodType;
          element?: z.core.$ZodType;
        };
        const field = def.type === "object" ? def.shape?.[String(segment)] : undefined;
        if (field !== undefined) next.push(field);
        else if (def.type === "record" && def.valueType !== undefined) next.push(def.valueType);
        else if (def.type === "array" && def.element !== undefined && typeof segment === "number") next.push(def.element);
      }
    }
    candidates.splice(0, candidates.length, ...next);
  }
  // Several candidates remain only under unions; the first object among them is the one meant.
  for (const candidate of candidates) {
    for (const option of unionOptions(unwrap(candidate))) {
      const def = unwrap(option)._zod.def as { type: string; shape?: Record<string, unknown> };
      if (def.type === "object" && def.shape !== undefined) return Object.keys(def.shape);
    }
  }
  return [];
}

function unionOptions(schema: z.core.$ZodType): z.core.$ZodType[] {
  const def = schema._zod.def as { type: string; options?: z.core.$ZodType[] };
  return def.type === "union" && def.options !== undefined ? def.options : [schema];
}

function hintOf(issue: ZodIssue): string | undefined {
  if (issue.code !== "custom") return undefined;
  const hint: unknown = issue.params?.["hint"];
  return typeof hint === "string" ? hint : undefined;
}

/**
 * A union's issues, narrowed to the branch the user evidently meant: when every branch
 * but one failed on the value's type alone, the remaining branch's issues explain more
 * than "expected a URL or { env: NAME }".
 */
function unionBranch(issue: Extract<ZodIssue, { code: "invalid_union" }>): ZodIssue[] | undefined {
  const meant = issue.errors.filter(
    (branch) => !(branch.length === 1 && branch[0]?.code === "invalid_type" && branch[0].path.length === 0),
  );
  return meant.length === 1 ? meant[0] : undefined;
}

/**
 * Turns zod's issues into manifest issues with positions, what was expected and what
 * was found, one per problem (an unknown-keys issue becomes one per key).
 * @private
 */
export function toManifestIssues(issues: readonly ZodIssue[], context: IssueContext, prefix: Path = []): ManifestIssue[] {
  const out: ManifestIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...toPath(issue.path)];
    if (issue.code === "invalid_union") {
      const branch = unionBranch(issue);
      if (branch !== undefined) {
        out.push(...toManifestIssues(branch, context, path));
        continue;
      }
    }
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(context.schema, path).filter((key) => key !== "$schema");
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        const suggestion = didYouMean(key, known);
        const expected = known.length === 0 ? "no other keys" : `one of ${known.join(", ")}`;
        out.push({
          code: "unknown_key",
          file: context.file,
          ...context.position(keyPath),
          path: keyPath,
          expected,
          found: JSON.stringify(key),
          message:
            suggestion === undefined
              ? `unknown key ${JSON.stringify(key)}: expected ${expected}`
              : `unknown key ${JSON.stringify(key)}, did you mean ${JSON.stringify(suggestion)}? (expected ${expected})`,
          ...(suggestion === undefined ? {} : { hint: `did you mean "${suggestion}"?` }),
        });
      }
      continue;
    }
    if (issue.code === "invalid_key") {
      const inner = issue.issues[0];
      const expected = inner === undefined ? expectationOf(issue) : expectationOf(inner);
      const key = path[path.length - 1];
      const found = JSON.stringify(String(key));
      out.push({
        code: "invalid_value",
        file: context.file,
        ...context.position(path),
        path,
        expected,
        found,
        message: `expected ${expected} as the key, found ${found}`,
      });
      continue;
    }

    const expected = expectationOf(issue);
    const { present, value } = valueAt(context.data, path);
    if (!present) {
      out.push({
        code: "missing_key",
        file: context.file,
        ...context.position(path),
        path,
        expected,
        found: "nothing",
        message: `expected ${expected}, found nothing (the key is required)`,
      });
      continue;
    }
    // An empty (or comments-only) file reads as null.
    const found = path.length === 0 && value == null ? "an empty document" : describeValue(value);
    let hint = hintOf(issue);
    if (hint === undefined && issue.code === "invalid_value" && typeof value === "string") {
      const suggestion = didYouMean(value, issue.values.map(String));
      if (suggestion !== undefined) hint = `did you mean "${suggestion}"?`;
    }
    out.push({
      code: "invalid_value",
      file: context.file,
      ...context.position(path),
      path,
      expected,
      found,
      message: `expected ${expected}, found ${found}${hint === undefined ? "" : ` (${hint})`}`,
      ...(hint === undefined ? {} : { hint }),
    });
  }
  return out;
}
