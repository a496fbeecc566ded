import type { Locate } from "./source-position.js";

/** A JSON syntax problem at an offset. @private */
export interface JsonProblem {
  offset: number;
  message: string;
}

/** Where a JSON value and its children are written. */
interface JsonNode {
  start: number;
  /** Object members by key: the key's offset and the value's node. */
  members?: Map<string, { keyStart: number; node: JsonNode }>;
  items?: JsonNode[];
}

/** The outcome of {@link parseJsonSource}. @private */
export type JsonSource =
  | { ok: true; value: unknown; locate: Locate }
  | { ok: false; problems: JsonProblem[] };

/** Deeper nesting than any manifest needs; stops a hostile file from exhausting the stack. */
const MAX_DEPTH = 256;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class Stop extends Error {
  constructor(readonly problem: JsonProblem) {
    super(problem.message);
  }
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/**
 * A strict JSON (RFC 8259) parser that remembers where every key and value is written,
 * which `JSON.parse` cannot tell, and reports duplicate keys instead of keeping the last.
 * @private
 */
export function parseJsonSource(text: string): JsonSource {
  let at = 0;
  const duplicates: JsonProblem[] = [];

  const describe = (): string => (at >= text.length ? "the end of the file" : JSON.stringify(text[at]));
  const fail = (message: string, offset = at): never => {
    throw new Stop({ offset, message });
  };
  const skipSpace = (): void => {
    while (at < text.length && " \t\n\r".includes(text[at] ?? "")) at++;
  };

  const parseString = (): string => {
    const start = at;
    at++; // opening quote
    let out = "";
    for (;;) {
      if (at >= text.length) fail("unterminated string", start);
      const char = text[at] ?? "";
      if (char === '"') {
        at++;
        return out;
      }
      if (char === "\\") {
        const escape = text[at + 1] ?? "";
        if (escape === "u") {
          const hex = text.slice(at + 2, at + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("expected four hex digits after \\u", at);
          out += String.fromCharCode(Number.parseInt(hex, 16));
          at += 6;
        } else {
          const decoded = ESCAPES[escape];
          if (decoded === undefined) fail(`invalid escape \\${escape}`, at);
          out += decoded;
          at += 2;
        }
        continue;
      }
      if (char.charCodeAt(0) < 0x20) fail("control character in string (write it escaped)");
      out += char;
      at++;
    }
  };

  const parseValue = (depth: number): { value: unknown; node: JsonNode } => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
    skipSpace();
    const start = at;
    const char = text[at];
    if (char === "{") {
      at++;
      const value: Record<string, unknown> = {};
      const members = new Map<string, { keyStart: number; node: JsonNode }>();
      skipSpace();
      if (text[at] === "}") {
        at++;
        return { value, node: { start, members } };
      }
      for (;;) {
        skipSpace();
        const keyStart = at;
        if (text[at] !== '"') fail(`expected a double-quoted key, found ${describe()}`);
        const key = parseString();
        skipSpace();
        if (text[at] !== ":") fail(`expected ":" after the key, found ${describe()}`);
        at++;
        const member = parseValue(depth + 1);
        if (members.has(key)) duplicates.push({ offset: keyStart, message: `duplicate key ${JSON.stringify(key)}` });
        members.set(key, { keyStart, node: member.node });
        // defineProperty, so a "__proto__" key is data rather than a prototype change.
        Object.defineProperty(value, key, { value: member.value, enumerable: true, writable: true, configurable: true });
        skipSpace();
        if (text[at] === ",") {
          at++;
          continue;
        }
        if (text[at] === "}") {
          at++;
          return { value, node: { start, members } };
        }
        fail(`expected "," or "}" after a value, found ${describe()}`);
      }
    }
    if (char === "[") {
      at++;
      const value: unknown[] = [];
      const items: JsonNode[] = [];
      skipSpace();
      if (text[at] === "]") {
        at++;
        return { value, node: { start, items } };
      }
      for (;;) {
        const item = parseValue(depth + 1);
        value.push(item.value);
        items.push(item.node);
        skipSpace();
        if (text[at] === ",") {
          at++;
          continue;
        }
        if (text[at] === "]") {
          at++;
          return { value, node: { start, items } };
        }
        fail(`expected "," or "]" after a list item, found ${describe()}`);
      }
    }
    if (char === '"') return { value: parseString(), node: { start } };
    NUMBER.lastIndex = at;
    const number = NUMBER.exec(text);
    if (number) {
      at += number[0].length;
      return { value: Number(number[0]), node: { start } };
    }
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return { value, node: { start } };
      }
    }
    return fail(`expected a JSON value, found ${describe()}`);
  };

  let root: { value: unknown; node: JsonNode };
  try {
    root = parseValue(0);
    skipSpace();
    if (at < text.length) fail(`unexpected ${describe()} after the JSON value`);
  } catch (error) {
    if (error instanceof Stop) return { ok: false, problems: [error.problem] };
    throw error;
  }
  if (duplicates.length > 0) return { ok: false, problems: duplicates };

  const locate: Locate = (path) => {
    let node = root.node;
    let offset = node.start;
    for (const segment of path) {
      const member = node.members?.get(String(segment));
      if (member !== undefined) {
        offset = member.keyStart;
        node = member.node;
        continue;
      }
      const item = typeof segment === "number" ? node.items?.[segment] : undefined;
      if (item === undefined) break;
      offset = item.start;
      node = item;
    }
    return offset;
  };
  return { ok: true, value: root.value, locate };
}
