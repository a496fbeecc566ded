// PEP 440 versions and version specifiers, checked the way `packaging` parses them.
// https://packaging.python.org/en/latest/specifications/version-specifiers/

const EPOCH = String.raw`(?:[0-9]+!)?`;
const RELEASE = String.raw`[0-9]+(?:\.[0-9]+)*`;
const PRE = String.raw`(?:[-_.]?(?:alpha|a|beta|b|preview|pre|c|rc)[-_.]?[0-9]*)?`;
const POST = String.raw`(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?`;
const DEV = String.raw`(?:[-_.]?dev[-_.]?[0-9]*)?`;
const LOCAL = String.raw`(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?`;

const VERSION = new RegExp(`^v?${EPOCH}${RELEASE}${PRE}${POST}${DEV}${LOCAL}$`, "i");
const PUBLIC_VERSION = new RegExp(`^v?${EPOCH}${RELEASE}${PRE}${POST}${DEV}$`, "i");
const WILDCARD_VERSION = new RegExp(`^v?${EPOCH}${RELEASE}\\.\\*$`, "i");
const COMPATIBLE_VERSION = new RegExp(`^v?${EPOCH}[0-9]+(?:\\.[0-9]+)+${PRE}${POST}${DEV}$`, "i");

/** Longest operators first, so `===` is not read as `==` followed by `=`. */
const CLAUSE = /^\s*(===|~=|==|!=|<=|>=|<|>)\s*(\S+)\s*$/;

/**
 * True when `text` is a PEP 440 version, e.g. `3.11`, `2.0.0rc1`, `1!2.0.post3.dev4+local`.
 */
export function isPep440Version(text: string): boolean {
  return VERSION.test(text);
}

/**
 * True when `text` is one PEP 440 specifier clause such as `>=3.10`, `==3.11.*`, `~=2.2`.
 * @private
 */
export function isPep440Specifier(text: string): boolean {
  const match = CLAUSE.exec(text);
  if (!match) return false;
  const [, operator, version = ""] = match;
  switch (operator) {
    case "===":
      // Arbitrary equality compares strings; anything without whitespace goes.
      return version.length > 0;
    case "==":
    case "!=":
      return VERSION.test(version) || WILDCARD_VERSION.test(version);
    case "~=":
      return COMPATIBLE_VERSION.test(version);
    default:
      // Ordered comparisons take no local version and no wildcard.
      return PUBLIC_VERSION.test(version);
  }
}

/**
 * True when `text` is a non-empty, comma-separated PEP 440 specifier set,
 * e.g. `>=3.10`, `>=3.10,<3.13`, `==3.11.*`.
 */
export function isPep440SpecifierSet(text: string): boolean {
  const clauses = text.split(",");
  return clauses.length > 0 && clauses.every(isPep440Specifier);
}
