/** What kind of problem a {@link ManifestIssue} reports. */
export type ManifestIssueCode =
  /** The text is not valid YAML or JSON (including duplicate keys). */
  | "syntax"
  /** A value has the wrong type or form. */
  | "invalid_value"
  /** A required key is absent. */
  | "missing_key"
  /** A key the schema does not know (often a typo; see `hint`). */
  | "unknown_key"
  /** A `{ env: NAME }` secret whose environment variable is not set. */
  | "missing_secret"
  /** The manifest cannot be read, or which manifest to use is ambiguous. */
  | "io";

/** One problem in a manifest, with where it is and what was expected there. */
export interface ManifestIssue {
  /** The manifest file as it was named to the parser (absolute from `loadManifest`); "" when unknown. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** Where in the document, e.g. `["libraries", "dspy", "depth"]`. */
  readonly path: Array<string | number>;
  /** What the schema wanted there, e.g. `a non-negative integer`. */
  readonly expected: string;
  /** What the document had instead, e.g. `"deep"`, or `nothing` for a missing key. */
  readonly found: string;
  /** A sentence for people: `expected a non-negative integer, found "deep"`. */
  readonly message: string;
  /** The kind of problem; always set by this package. */
  readonly code?: ManifestIssueCode;
  /** A likely fix, such as the key the user probably meant. */
  readonly hint?: string;
}

/** Options for {@link ManifestError}. */
export interface ManifestErrorOptions {
  /** The underlying reason (an I/O error, a parser exception), kept as `error.cause`. */
  cause?: unknown;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Renders a document path the way a reader writes it:
 * `libraries.dspy.rename["Predict.__call__"]`, `python.dependencies[2]`.
 */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * One line per issue: `dspy.bridge.yaml:7:5 libraries.dspy.depth: expected a
 * non-negative integer, found "deep"`. The location is left out when the file is unknown.
 */
export function formatIssue(issue: ManifestIssue): string {
  const location = issue.file === "" ? "" : `${issue.file}:${issue.line}:${issue.column} `;
  const path = issue.path.length === 0 ? "" : `${formatPath(issue.path)}: `;
  return `${location}${path}${issue.message}`;
}

/**
 * Every problem found in a manifest, reported together: `issues` holds them as data
 * (file, line, column, path, expected, found) and the message lists one per line.
 */
export class ManifestError extends Error {
  override name = "ManifestError";
  /** Every problem found, in document order. */
  readonly issues: readonly ManifestIssue[];

  constructor(issues: readonly ManifestIssue[], options: ManifestErrorOptions = {}) {
    super(
      issues.length === 0 ? "invalid manifest" : issues.map(formatIssue).join("\n"),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.issues = Object.freeze([...issues]);
  }
}
