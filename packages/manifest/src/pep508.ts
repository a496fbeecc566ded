// PEP 508 dependency specifiers ("requirements"), as pip and uv read them.
// https://packaging.python.org/en/latest/specifications/dependency-specifiers/
import { isPep440Specifier } from "./pep440.js";

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/;
const EXTRA = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const URL_START = /^[A-Za-z][A-Za-z0-9+.-]*:\S/;

const MARKER_VARIABLES = new Set([
  "python_version",
  "python_full_version",
  "os_name",
  "sys_platform",
  "platform_release",
  "platform_system",
  "platform_version",
  "platform_machine",
  "platform_python_implementation",
  "implementation_name",
  "implementation_version",
  "extra",
  "extras",
  "dependency_groups",
]);

/**
 * Says what is wrong with a PEP 508 requirement such as `dspy>=3`,
 * `numpy[extra]>=2,<3; python_version >= "3.11"` or `pkg @ https://host/pkg.whl`,
 * or returns undefined when it is well-formed.
 * @private
 */
export function requirementProblem(text: string): string | undefined {
  const input = text.trim();
  const name = NAME.exec(input)?.[0];
  if (name === undefined) return "it does not start with a package name";
  let rest = input.slice(name.length).trimStart();

  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) return "the extras' `[` is never closed";
    const extras = rest.slice(1, close).trim();
    if (extras !== "" && !extras.split(",").every((extra) => EXTRA.test(extra.trim()))) {
      return `bad extras [${extras}]`;
    }
    rest = rest.slice(close + 1).trimStart();
  }

  if (rest.startsWith("@")) {
    // A direct reference: the URL runs to the first whitespace; a marker needs a space before `;`.
    const afterAt = rest.slice(1).trimStart();
    const url = /^\S+/.exec(afterAt)?.[0] ?? "";
    if (!URL_START.test(url)) return `"${url}" is not a URL`;
    const tail = afterAt.slice(url.length);
    if (tail.trim() === "") return undefined;
    if (!/^\s/.test(tail) || !tail.trimStart().startsWith(";")) {
      return `unexpected "${tail.trim()}" after the URL`;
    }
    return markerProblem(tail.trimStart().slice(1));
  }

  const semicolon = rest.indexOf(";");
  let specifiers = (semicolon < 0 ? rest : rest.slice(0, semicolon)).trim();
  if (specifiers.startsWith("(")) {
    if (!specifiers.endsWith(")")) return "the version's `(` is never closed";
    specifiers = specifiers.slice(1, -1).trim();
  }
  if (specifiers !== "") {
    const bad = specifiers.split(",").find((clause) => !isPep440Specifier(clause));
    if (bad !== undefined) {
      return bad.trim() === "" ? "an empty version clause" : `bad version specifier "${bad.trim()}"`;
    }
  }
  return semicolon < 0 ? undefined : markerProblem(rest.slice(semicolon + 1));
}

/**
 * True when `text` is a well-formed PEP 508 requirement.
 */
export function isPep508Requirement(text: string): boolean {
  return requirementProblem(text) === undefined;
}

type Token =
  | { kind: "string" | "variable" | "op" | "word"; text: string }
  | { kind: "(" | ")" };

const COMPARISON = /^(===|~=|==|!=|<=|>=|<|>)/;

function tokenize(marker: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < marker.length) {
    const rest = marker.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const char = rest[0] ?? "";
    if (char === "(" || char === ")") {
      tokens.push({ kind: char });
      i += 1;
      continue;
    }
    if (char === "'" || char === '"') {
      const end = rest.indexOf(char, 1);
      if (end < 0) return "an unterminated string in the marker";
      tokens.push({ kind: "string", text: rest.slice(1, end) });
      i += end + 1;
      continue;
    }
    const comparison = COMPARISON.exec(rest);
    if (comparison) {
      tokens.push({ kind: "op", text: comparison[0] });
      i += comparison[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(rest);
    if (word) {
      const text = word[0];
      tokens.push(MARKER_VARIABLES.has(text) ? { kind: "variable", text } : { kind: "word", text });
      i += text.length;
      continue;
    }
    return `unexpected "${char}" in the marker`;
  }
  return tokens;
}

/** Says what is wrong with an environment marker (the part after `;`), if anything. */
function markerProblem(marker: string): string | undefined {
  const tokens = tokenize(marker);
  if (typeof tokens === "string") return tokens;
  if (tokens.length === 0) return "an empty marker after `;`";
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const isWord = (token: Token | undefined, text: string): boolean =>
    token !== undefined && token.kind === "word" && token.text === text;

  // Each parser returns an error string, or undefined after consuming its production.
  const value = (): string | undefined => {
    const token = peek();
    if (token?.kind === "string" || token?.kind === "variable") {
      at += 1;
      return undefined;
    }
    if (token?.kind === "word") return `unknown marker variable "${token.text}"`;
    return "a marker needs a variable or a quoted string here";
  };
  const expression = (): string | undefined => {
    if (peek()?.kind === "(") {
      at += 1;
      const inner = or();
      if (inner !== undefined) return inner;
      if (peek()?.kind !== ")") return "a `(` in the marker is never closed";
      at += 1;
      return undefined;
    }
    const left = value();
    if (left !== undefined) return left;
    const op = peek();
    if (op?.kind === "op" || isWord(op, "in")) {
      at += 1;
    } else if (isWord(op, "not") && isWord(tokens[at + 1], "in")) {
      at += 2;
    } else {
      return "a marker comparison needs an operator (==, >=, in, not in, ...)";
    }
    return value();
  };
  const and = (): string | undefined => {
    let problem = expression();
    while (problem === undefined && isWord(peek(), "and")) {
      at += 1;
      problem = expression();
    }
    return problem;
  };
  const or = (): string | undefined => {
    let problem = and();
    while (problem === undefined && isWord(peek(), "or")) {
      at += 1;
      problem = and();
    }
    return problem;
  };

  const problem = or();
  if (problem !== undefined) return problem;
  return at === tokens.length ? undefined : "unexpected text at the end of the marker";
}
