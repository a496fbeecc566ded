import type { TypeExpr } from "./descriptor.js";

/** Where a type appears: values sent to Python may be wider than values received. */
export type Direction = "param" | "return";

/** What the mapper needs to know about the classes being generated. */
export interface TypeScope {
  /** The TypeScript name of a generated class or interface for this Python qualname. */
  classFor(qualname: string): string | undefined;
}

/** The mapped TypeScript type and what it needed. */
export interface MappedType {
  ts: string;
  /** Whether `unknown` stands anywhere in it: the signature is then not fully typed. */
  hasUnknown: boolean;
  /** Whether it refers to `PyRef` (an import the file needs). */
  usesPyRef: boolean;
}

const SCALARS: Record<string, { param: string; return: string }> = {
  "builtins.str": { param: "string", return: "string" },
  // Integers arrive as numbers when exact and as bigint beyond 2^53; both may be sent.
  "builtins.int": { param: "number | bigint", return: "number" },
  "builtins.float": { param: "number", return: "number" },
  "builtins.complex": { param: "never", return: "unknown" },
  "builtins.bool": { param: "boolean", return: "boolean" },
  "builtins.bytes": { param: "Uint8Array", return: "Uint8Array" },
  "builtins.bytearray": { param: "Uint8Array", return: "Uint8Array" },
  "builtins.memoryview": { param: "Uint8Array", return: "Uint8Array" },
  "builtins.NoneType": { param: "null", return: "null" },
  "datetime.datetime": { param: "Date", return: "Date" },
};

const SEQUENCES = new Set([
  "builtins.list",
  "typing.List",
  "collections.abc.Sequence",
  "collections.abc.MutableSequence",
  "typing.Sequence",
  "collections.abc.Collection",
  "collections.abc.Iterable",
  "typing.Iterable",
  "collections.deque",
]);
const MAPPINGS = new Set([
  "builtins.dict",
  "typing.Dict",
  "collections.abc.Mapping",
  "collections.abc.MutableMapping",
  "typing.Mapping",
  "collections.OrderedDict",
  "collections.defaultdict",
]);
const SETS = new Set(["builtins.set", "builtins.frozenset", "collections.abc.Set", "collections.abc.MutableSet", "typing.AbstractSet"]);
const ITERATORS = new Set([
  "collections.abc.Iterator",
  "collections.abc.Generator",
  "collections.abc.AsyncIterator",
  "collections.abc.AsyncGenerator",
  "collections.abc.AsyncIterable",
  "typing.Iterator",
  "typing.Generator",
  "typing.AsyncIterator",
  "typing.AsyncGenerator",
]);
const ANYTHING = new Set(["builtins.object", "typing.Any"]);

const STRING_KEYS = new Set(["builtins.str"]);

/** Maps a Python annotation to a TypeScript type (the table in packages/codegen/README.md). */
export function mapType(expr: TypeExpr | null | undefined, direction: Direction, scope: TypeScope): MappedType {
  const state = { hasUnknown: false, usesPyRef: false };
  const ts = map(expr ?? null, direction, scope, state);
  return { ts, ...state };
}

type State = { hasUnknown: boolean; usesPyRef: boolean };

function unknown(state: State): string {
  state.hasUnknown = true;
  return "unknown";
}

function map(expr: TypeExpr | null, direction: Direction, scope: TypeScope, state: State): string {
  if (expr === null) return unknown(state);
  switch (expr.kind) {
    case "none":
      return "null";
    case "never":
      return "never";
    case "any":
    case "unknown":
      return unknown(state);
    case "literal":
      return expr.values.length ? dedupe(expr.values.map((v) => (v === null ? "null" : JSON.stringify(v)))) : "never";
    case "union":
      return dedupe(expr.items.map((item) => wrapUnionMember(map(item, direction, scope, state))));
    case "tuple":
      if (expr.variadic) return arrayOf(map(expr.items[0] ?? null, direction, scope, state));
      return `[${expr.items.map((item) => map(item, direction, scope, state)).join(", ")}]`;
    case "typevar":
      if (expr.bound) return map(expr.bound, direction, scope, state);
      if (expr.constraints.length) return dedupe(expr.constraints.map((c) => wrapUnionMember(map(c, direction, scope, state))));
      return unknown(state);
    case "callable":
      // Python callables travel as refs (callable with ref.call("")); host callbacks come later.
      state.usesPyRef = true;
      return `PyRef<"collections.abc.Callable">`;
    case "name":
      return mapName(expr.name, direction, scope, state);
    case "generic":
      return mapGeneric(expr.base, expr.args, direction, scope, state);
  }
}

function mapName(name: string, direction: Direction, scope: TypeScope, state: State): string {
  const scalar = SCALARS[name];
  if (scalar) return scalar[direction];
  if (ANYTHING.has(name)) return unknown(state);
  if (SEQUENCES.has(name) || name === "builtins.tuple") return arrayOf(unknown(state));
  if (MAPPINGS.has(name)) return `Record<string, ${unknown(state)}>`;
  if (SETS.has(name)) return `Set<${unknown(state)}>`;
  if (ITERATORS.has(name)) return `AsyncIterable<${unknown(state)}>`;
  const generated = scope.classFor(name);
  if (generated) return generated;
  state.usesPyRef = true;
  return `PyRef<${JSON.stringify(name)}>`;
}

function mapGeneric(base: string, args: TypeExpr[], direction: Direction, scope: TypeScope, state: State): string {
  const arg = (i: number) => map(args[i] ?? null, direction, scope, state);
  if (SEQUENCES.has(base)) return arrayOf(arg(0));
  if (SETS.has(base)) return `Set<${arg(0)}>`;
  if (MAPPINGS.has(base)) {
    const key = args[0];
    const value = arg(1);
    if (key && key.kind === "name" && STRING_KEYS.has(key.name)) return `Record<string, ${value}>`;
    if (key && key.kind === "literal" && key.values.every((v) => typeof v === "string")) return `Partial<Record<${arg(0)}, ${value}>>`;
    return `Map<${arg(0)}, ${value}>`;
  }
  if (ITERATORS.has(base)) return `AsyncIterable<${arg(0)}>`;
  if (base === "typing.Optional") return dedupe([wrapUnionMember(arg(0)), "null"]);
  if (base === "typing.Union") return dedupe(args.map((_, i) => wrapUnionMember(arg(i))));
  if (base === "builtins.type" || base === "typing.Type") {
    state.usesPyRef = true;
    return `PyRef<"builtins.type">`;
  }
  if (base === "typing.Annotated") return arg(0);
  // A generic class of the library (e.g. Foo[int]): its generated class, or a ref.
  return mapName(base, direction, scope, state);
}

function arrayOf(item: string): string {
  return /^[\w.<>"[\], ]+$/.test(item) && !item.includes("|") ? `${item}[]` : `Array<${item}>`;
}

function wrapUnionMember(ts: string): string {
  return ts.startsWith("(") || !ts.includes("=>") ? ts : `(${ts})`;
}

function dedupe(items: string[]): string {
  const parts = new Set<string>();
  for (const item of items) for (const part of splitTopLevelUnion(item)) parts.add(part);
  if (parts.has("unknown")) return "unknown";
  return [...parts].join(" | ");
}

/** Splits "a | b<c | d>" at top-level bars only. */
function splitTopLevelUnion(ts: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < ts.length; i++) {
    const c = ts[i];
    if (c === "<" || c === "(" || c === "[" || c === "{") depth++;
    else if (c === ">" || c === ")" || c === "]" || c === "}") depth--;
    else if (c === "|" && depth === 0) {
      out.push(ts.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(ts.slice(start).trim());
  return out;
}
