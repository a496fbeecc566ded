import type { TypeExpr } from "./descriptor.js";
import { ImportSymbol, join, textOf, type Printable } from "./printer.js";

/** Where a type appears: values sent to Python may be wider than values received. */
export type Direction = "param" | "return";

/** A generated class or interface, as the type mapper refers to it. */
export interface ClassRef {
  /** The class (or interface) as a type. */
  type: ImportSymbol | string;
  /** The class as a value (for conversions); absent for interfaces. */
  value?: ImportSymbol | string;
}

/** What the mapper needs to know where it maps a type. */
export interface TypeScope {
  /** The generated class or interface for a Python class (its run-time name), if any. */
  classFor(qualname: string): ClassRef | undefined;
  /** A runtime export as a type (`PyRef`, `NDArray`). */
  runtimeType(name: string): ImportSymbol;
  /** A runtime export as a value. */
  runtimeValue(name: string): ImportSymbol;
  /** The TypeScript generic standing for a TypeVar of the callable being typed. */
  typeParam?(name: string): string | undefined;
  /** The class whose instance method is typed: `Self` returns become `this`. */
  selfClass?: string;
}

/** A mapped TypeScript type and what it says about the Python type. */
export interface TsType {
  parts: Printable;
  /** `unknown` stands somewhere in it. */
  unknown: boolean;
  /** A `PyRef` of a class that is not generated stands somewhere in it (not fully typed). */
  partial: boolean;
  /** A plain JavaScript object literal may be a value of this type (call-shape disambiguation). */
  plain: boolean;
  /** How a received value becomes this type (results only): an expression, or none. */
  conversion?: Printable | undefined;
  /** A union or a function type: needs parentheses inside an array or union. */
  compound?: "union" | "function";
}

/** Python classes that travel by value, and the TypeScript type they arrive as. */
const SCALARS: Record<string, { param: string; return: string; runtime?: boolean; plain?: boolean }> = {
  "builtins.str": { param: "string", return: "string" },
  // Integers arrive as numbers when exact and as bigint beyond 2^53 (rare: the
  // documented narrowing types results `number`); both may be sent.
  "builtins.int": { param: "number | bigint", return: "number" },
  "builtins.float": { param: "number", return: "number" },
  "builtins.complex": { param: "never", return: "unknown" },
  "builtins.bool": { param: "boolean", return: "boolean" },
  "builtins.bytes": { param: "Uint8Array", return: "Uint8Array" },
  "builtins.bytearray": { param: "Uint8Array", return: "Uint8Array" },
  "builtins.memoryview": { param: "Uint8Array", return: "Uint8Array" },
  "builtins.NoneType": { param: "null", return: "null" },
  "datetime.datetime": { param: "Date", return: "Date" },
  "datetime.date": { param: "PyDate", return: "PyDate", runtime: true },
  "datetime.time": { param: "PyTime", return: "PyTime", runtime: true },
  "datetime.timedelta": { param: "PyTimedelta", return: "PyTimedelta", runtime: true },
  "numpy.ndarray": { param: "NDArray", return: "NDArray", runtime: true },
  "pandas.DataFrame": { param: "ArrowTable", return: "ArrowTable", runtime: true },
  "pandas.core.frame.DataFrame": { param: "ArrowTable", return: "ArrowTable", runtime: true },
  "pyarrow.Table": { param: "ArrowTable", return: "ArrowTable", runtime: true },
  "pyarrow.lib.Table": { param: "ArrowTable", return: "ArrowTable", runtime: true },
  "os.PathLike": { param: "string", return: "string" },
  "pathlib.Path": { param: "string", return: "unknown" },
};

// numpy scalars arrive as plain numbers, big ints and booleans.
for (const name of ["bool", "bool_"]) SCALARS[`numpy.${name}`] = { param: "boolean", return: "boolean" };
for (const name of ["floating", "float16", "float32", "float64", "longdouble", "half", "single", "double", "inexact"]) {
  SCALARS[`numpy.${name}`] = { param: "number", return: "number" };
}
for (const name of ["integer", "signedinteger", "unsignedinteger", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "intp", "uintp", "int_", "uint", "long", "ulong", "longlong", "ulonglong", "short", "ushort", "byte", "ubyte", "intc", "uintc"]) {
  SCALARS[`numpy.${name}`] = { param: "number | bigint", return: "number" };
}
SCALARS["numpy.number"] = { param: "number | bigint", return: "number" };
SCALARS["numpy.str_"] = { param: "string", return: "string" };
SCALARS["numpy.bytes_"] = { param: "Uint8Array", return: "Uint8Array" };

/** Classes whose values are data (no generated class is made for them). */
export function isValueClass(name: string): boolean {
  return name in SCALARS;
}

const SEQUENCES = new Set([
  "builtins.list",
  "collections.abc.Sequence",
  "collections.abc.MutableSequence",
  "collections.abc.Collection",
  "collections.abc.Iterable",
  "collections.abc.Reversible",
  "collections.abc.Container",
  "collections.deque",
  "collections.UserList",
]);
const MAPPINGS = new Set([
  "builtins.dict",
  "collections.abc.Mapping",
  "collections.abc.MutableMapping",
  "collections.OrderedDict",
  "collections.defaultdict",
  "collections.Counter",
  "collections.ChainMap",
  "types.MappingProxyType",
]);
const SETS = new Set(["builtins.set", "builtins.frozenset", "collections.abc.Set", "collections.abc.MutableSet", "collections.abc.KeysView"]);
const ITERATORS = new Set([
  "collections.abc.Iterator",
  "collections.abc.Generator",
  "collections.abc.AsyncIterator",
  "collections.abc.AsyncGenerator",
  "collections.abc.AsyncIterable",
]);
const ANYTHING = new Set(["builtins.object", "typing.Any", "_typeshed.Incomplete", "_typeshed.Unused", "typing_extensions.Any"]);
const AWAITABLES = new Set(["collections.abc.Awaitable", "collections.abc.Coroutine"]);

/** Maps a Python annotation to a TypeScript type (the table in packages/codegen/README.md). */
export function mapType(expr: TypeExpr | null | undefined, direction: Direction, scope: TypeScope): TsType {
  return map(expr ?? null, direction, scope);
}

function atom(parts: Printable, extra: Partial<TsType> = {}): TsType {
  return { parts, unknown: false, partial: false, plain: false, ...extra };
}

const UNKNOWN: TsType = { parts: "unknown", unknown: true, partial: false, plain: true };

function map(expr: TypeExpr | null, direction: Direction, scope: TypeScope): TsType {
  if (expr === null) return UNKNOWN;
  switch (expr.kind) {
    case "none":
      return atom("null");
    case "never":
      return atom("never");
    case "any":
    case "unknown":
      return UNKNOWN;
    case "literal":
      if (!expr.values.length) return atom("never");
      return union(expr.values.map((v) => atom(v === null ? "null" : JSON.stringify(v))));
    case "union":
      return union(expr.items.map((item) => map(item, direction, scope)));
    case "tuple": {
      if (expr.variadic) return arrayOf(map(expr.items[0] ?? null, direction, scope));
      const items = expr.items.map((item) => map(item, direction, scope));
      const conversions = items.map((i) => i.conversion);
      return {
        parts: ["[", join(items.map((i) => i.parts), ", "), "]"],
        unknown: items.some((i) => i.unknown),
        partial: items.some((i) => i.partial),
        plain: false,
        conversion: conversions.some(Boolean) ? ["{ tuple: [", join(conversions.map((c) => c ?? "null"), ", "), "] }"] : undefined,
      };
    }
    case "typevar": {
      const generic = scope.typeParam?.(expr.name);
      if (generic) return atom(generic, { plain: true });
      if (expr.bound) return map(expr.bound, direction, scope);
      if (expr.constraints.length) return union(expr.constraints.map((c) => map(c, direction, scope)));
      return UNKNOWN;
    }
    case "callable":
      return callable(expr, direction, scope);
    case "name":
      return mapName(expr.name, direction, scope, expr.self === true);
    case "generic":
      return mapGeneric(expr.base, expr.args, direction, scope);
  }
}

function callable(expr: Extract<TypeExpr, { kind: "callable" }>, direction: Direction, scope: TypeScope): TsType {
  if (direction === "return") {
    // A Python callable that comes back stays in Python: a ref to call with ref.call("").
    return atom(scope.runtimeType("PyRef"));
  }
  // A TypeScript function passed to Python becomes a host callback: its arguments come
  // from Python (as results do), its result goes to Python.
  const result = map(expr.returns, "param", scope);
  const params = expr.params === null ? [atom("...args: unknown[]")] : expr.params.map((p, i) => {
    const t = map(p, "return", scope);
    return { ...t, parts: [`arg${i}: `, t.parts] };
  });
  const resultParts = result.compound === "function" ? ["(", result.parts, ")"] : result.parts;
  return {
    parts: ["(", join(params.map((p) => p.parts), ", "), ") => ", resultParts, " | Promise<", resultParts, ">"],
    unknown: result.unknown || params.some((p) => p.unknown) || expr.params === null,
    partial: result.partial || params.some((p) => p.partial),
    plain: false,
    compound: "function",
  };
}

function mapName(name: string, direction: Direction, scope: TypeScope, self: boolean): TsType {
  // `Self` in an instance method (written there or in a base it inherits from) is `this`.
  if (self && scope.selfClass !== undefined && direction === "return") {
    return atom("this", { conversion: "this.constructor as never" });
  }
  const scalar = SCALARS[name];
  if (scalar) {
    const text = scalar[direction];
    const parts = scalar.runtime ? scope.runtimeType(text) : text;
    if (text === "unknown") return UNKNOWN;
    return text.includes(" | ") ? { ...atom(join(text.split(" | "), " | ")), compound: "union" } : atom(parts);
  }
  // typing's protocols and special forms, typeshed's helpers: never the class of a value.
  if (ANYTHING.has(name) || name.startsWith("_typeshed.") || name.startsWith("typing.") || name.startsWith("typing_extensions.")) return UNKNOWN;
  if (SEQUENCES.has(name) || name === "builtins.tuple") return arrayOf(UNKNOWN);
  if (MAPPINGS.has(name)) return record(UNKNOWN);
  if (SETS.has(name)) return setOf(UNKNOWN);
  if (ITERATORS.has(name)) return iterator(UNKNOWN, direction);
  if (name === "builtins.type") return atom([scope.runtimeType("PyRef"), '<"builtins.type">'], { partial: false });
  const generated = scope.classFor(name);
  if (generated) {
    return atom(generated.type, { conversion: generated.value, plain: generated.value === undefined });
  }
  return atom([scope.runtimeType("PyRef"), `<${JSON.stringify(name)}>`], { partial: true });
}

function mapGeneric(base: string, args: TypeExpr[], direction: Direction, scope: TypeScope): TsType {
  const arg = (i: number) => map(args[i] ?? null, direction, scope);
  if (SEQUENCES.has(base)) return arrayOf(arg(0));
  if (SETS.has(base)) return setOf(arg(0));
  if (MAPPINGS.has(base)) {
    const key = args[0];
    const value = base === "collections.Counter" ? atom("number") : arg(1);
    if (!key || (key.kind === "name" && key.name === "builtins.str")) return record(value);
    if (key.kind === "literal" && key.values.every((v) => typeof v === "string")) {
      return { ...record(value), parts: ["Partial<Record<", arg(0).parts, ", ", value.parts, ">>"] };
    }
    const k = arg(0);
    return {
      parts: ["Map<", k.parts, ", ", value.parts, ">"],
      unknown: k.unknown || value.unknown,
      partial: k.partial || value.partial,
      plain: false,
      conversion: value.conversion ? ["{ map: ", value.conversion, " }"] : undefined,
    };
  }
  if (ITERATORS.has(base)) return iterator(arg(0), direction);
  if (AWAITABLES.has(base)) return arg(base === "collections.abc.Coroutine" ? 2 : 0);
  if (base === "builtins.type") return atom([scope.runtimeType("PyRef"), '<"builtins.type">']);
  if (base === "typing.Annotated") return arg(0);
  // A generic class (numpy.ndarray[...], a library's Foo[int]): the class itself.
  return mapName(base, direction, scope, false);
}

function wrapped(t: TsType): Printable {
  return t.compound ? ["(", t.parts, ")"] : t.parts;
}

function arrayOf(item: TsType): TsType {
  const text = textOf(item.parts);
  const simple = !item.compound && /^[\w.$<>"[\], ]+$/.test(text) && !text.includes("|");
  return {
    parts: simple ? [item.parts, "[]"] : ["Array<", item.parts, ">"],
    unknown: item.unknown,
    partial: item.partial,
    plain: false,
    conversion: item.conversion ? ["{ array: ", item.conversion, " }"] : undefined,
  };
}

function record(value: TsType): TsType {
  return {
    parts: ["Record<string, ", value.parts, ">"],
    unknown: value.unknown,
    partial: value.partial,
    plain: true,
    conversion: value.conversion ? ["{ record: ", value.conversion, " }"] : undefined,
  };
}

function setOf(item: TsType): TsType {
  return { parts: ["Set<", item.parts, ">"], unknown: item.unknown, partial: item.partial, plain: false };
}

function iterator(item: TsType, direction: Direction): TsType {
  if (direction === "param") return arrayOf(item);
  return {
    parts: ["AsyncIterable<", item.parts, ">"],
    unknown: item.unknown,
    partial: item.partial,
    plain: false,
    conversion: item.conversion ? ["{ stream: ", item.conversion, " }"] : '"stream"',
  };
}

/** A union, flattened, deduplicated; `unknown` absorbs everything. */
export function union(items: readonly TsType[]): TsType {
  const seen = new Map<string, Printable>();
  for (const item of items) {
    if (item.parts === "unknown") return UNKNOWN;
    for (const part of splitUnion(item)) {
      const key = textOf(part);
      if (!seen.has(key)) seen.set(key, part);
    }
  }
  const withClasses = items.filter((i) => i.conversion);
  const parts = [...seen.values()];
  return {
    parts: join(parts, " | "),
    unknown: items.some((i) => i.unknown),
    partial: items.some((i) => i.partial),
    plain: items.some((i) => i.plain),
    // One class among plain values converts; two classes cannot be told apart here.
    conversion: withClasses.length === 1 ? withClasses[0]!.conversion : undefined,
    ...(parts.length > 1 ? { compound: "union" as const } : items[0]?.compound ? { compound: items[0].compound } : {}),
  };
}

function splitUnion(t: TsType): Printable[] {
  if (t.compound === "function") return [["(", t.parts, ")"]];
  if (t.compound !== "union") return [t.parts];
  // A union printed by union(): join() alternates members and " | ".
  const parts = t.parts as Printable[];
  return parts.filter((_, i) => i % 2 === 0);
}

export { wrapped as parenthesized };
