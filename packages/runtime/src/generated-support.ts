// What generated code (@bridge/codegen) uses at run time: the call shape (TypeScript
// arguments -> Python args/kwargs/options), conversion of results into the classes the
// types promise, and the base class of bound modules. packages/codegen/README.md
// documents the rules these implement.
import { BridgeError } from "@bridge/pool";
import type { Bridge } from "./bridge.js";
import { withMemo, type CallOptions } from "./call-options.js";
import type { Memo } from "./memo.js";
import { PyObject, type PyObjectClass } from "./py-object.js";
import { PyRef } from "./py-ref.js";

/**
 * Positional arguments without the trailing ones left `undefined` (optional
 * positional-only Python parameters must be omitted, not sent as None).
 * @private
 */
export function positional(args: readonly unknown[]): unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return args.slice(0, end);
}

/**
 * A Python iterable result as an AsyncIterable: a ref (generator, iterator) is
 * pulled in batches; an array that arrived by value is iterated as is.
 * Used by generated code for generator functions and Iterator return types.
 */
export function stream<T>(value: unknown, options?: { batchSize?: number }): AsyncIterable<T> {
  if (value instanceof PyObject) return value.ref.iterate<T>(options);
  if (value instanceof PyRef) return value.iterate<T>(options);
  if (Array.isArray(value) || value instanceof Set) {
    const items = value as Iterable<T>;
    return {
      [Symbol.asyncIterator]: async function* () {
        for (const item of items) yield await Promise.resolve(item);
      },
    };
  }
  throw new TypeError(`expected a Python iterator, got ${String(value)}`);
}

// -- the call shape ----------------------------------------------------------------------

/**
 * The trailing parameters of a generated callable whose optional positional parameters
 * `P` may be cut short: any prefix of `P`, then keyword arguments `K`, then call options.
 * `open(file, mode?, buffering?)` is `open(file, ...args: Optionals<[mode: ..., buffering: ...], K>)`,
 * so `open("f")`, `open("f", "r")` and `open("f", { encoding })` all type-check.
 * `Required`: the kwargs object must be given (a keyword-only parameter is required).
 */
export type Optionals<P extends readonly unknown[], K, Required extends boolean = false> =
  | (Required extends true ? [...P, kwargs: K, options?: CallOptions] : [...P, kwargs?: K, options?: CallOptions])
  | (P extends readonly [...infer Head, unknown] ? Optionals<Head, K, Required> : never);

/**
 * Like {@link Optionals}, for optional positionals `F` followed by ones a plain object
 * may be a value of (`R`): those keep fixed places, so keyword arguments come after all
 * of them (or early, in place of one of `F`).
 */
export type FixedOptionals<F extends readonly unknown[], R extends readonly unknown[], K, Required extends boolean = false> =
  | (Required extends true ? [...F, ...R, kwargs: K, options?: CallOptions] : [...Partial<F>, ...Partial<R>, kwargs?: K, options?: CallOptions])
  | (F extends readonly [...infer Head, unknown] ? Optionals<Head, K, Required> : never);

/**
 * The trailing parameters of a generated callable that takes `*args`: the optional
 * positionals `P` (all given before any item, or cut short as in {@link Optionals}), the
 * `*args` items `E`, then keyword arguments `K` and call options. With `Loose` (items
 * may be plain objects) the kwargs object is required after items, so that a trailing
 * plain object always means keyword arguments.
 */
export type VarArgs<P extends readonly unknown[], E, K, Loose extends boolean = false, Required extends boolean = false> =
  | (Loose extends true ? never : [...P, ...E[]])
  | [...P, ...E[], kwargs: K]
  | [...P, ...E[], kwargs: K, options: CallOptions]
  | (Loose extends true ? Optionals<P, K, Required> : P extends readonly [...infer Head, unknown] ? Optionals<Head, K, Required> : never);

/**
 * How a generated callable's TypeScript arguments map to Python's (README: "Call shape").
 * @private
 */
export interface CallShape {
  /** Python names of the positional parameters, in order. */
  readonly names?: readonly string[];
  /** How many of them are required (they come first). */
  readonly required?: number;
  /** How many optional ones follow after which keyword arguments may come early. */
  readonly free?: number;
  /** How many leading positional parameters are positional-only. */
  readonly positionalOnly?: number;
  /** `*args`: `strict` when its items are never plain objects, `loose` when they may be. */
  readonly varargs?: "strict" | "loose";
  /** Keyword names that differ in TypeScript: TypeScript key -> Python name. */
  readonly rename?: Readonly<Record<string, string>>;
}

/** Python's `(args, kwargs)` and the call options, from a generated callable's arguments. @private */
export interface PythonCall {
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: CallOptions | undefined;
}

const CALL_OPTION_KEYS = new Set(["signal", "timeoutMs"]);

/** A plain JavaScript object (a literal), as keyword arguments and call options are. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function looksLikeOptions(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => CALL_OPTION_KEYS.has(k));
}

/**
 * Splits a generated callable's arguments into Python's args and kwargs and the call
 * options, following `shape`.
 * @private
 */
export function pythonCall(shape: CallShape, given: readonly unknown[]): PythonCall {
  const names = shape.names ?? [];
  const required = shape.required ?? 0;
  const free = shape.free ?? 0;
  let rest = given.slice(0, given.length);
  let kwargs: Record<string, unknown> | undefined;
  let options: CallOptions | undefined;
  let positionals: unknown[];
  // Where keyword arguments start: early, in place of an optional positional ...
  let cut = -1;
  for (let i = required; i < Math.min(required + free, rest.length); i++) {
    if (isPlainObject(rest[i])) {
      cut = i;
      break;
    }
  }
  if (cut >= 0) {
    positionals = rest.slice(0, cut);
    kwargs = rest[cut] as Record<string, unknown> | undefined;
    options = rest[cut + 1] as CallOptions | undefined;
  } else if (shape.varargs) {
    // ... or after the *args items: trailing plain objects are kwargs, then options.
    const fixed = names.length;
    let end = rest.length;
    const last = rest[end - 1];
    const before = rest[end - 2];
    if (end > fixed && isPlainObject(last)) {
      if (end - 1 > fixed && isPlainObject(before) && (shape.varargs === "strict" || looksLikeOptions(last))) {
        kwargs = before;
        options = last;
        end -= 2;
      } else {
        kwargs = last;
        end -= 1;
      }
    }
    positionals = rest.slice(0, end);
  } else {
    // ... or at its fixed place after every positional.
    positionals = rest.slice(0, names.length);
    kwargs = rest[names.length] as Record<string, unknown> | undefined;
    options = rest[names.length + 1] as CallOptions | undefined;
  }
  rest = [];
  const out: Record<string, unknown> = {};
  if (kwargs) {
    for (const [key, value] of Object.entries(kwargs)) {
      if (value !== undefined) out[shape.rename?.[key] ?? key] = value;
    }
  }
  // An undefined positional is "not given": trailing ones are dropped; one in the middle
  // moves the positionals after it to keywords (Python cannot skip a positional).
  let end = positionals.length;
  while (end > 0 && positionals[end - 1] === undefined) end--;
  positionals = positionals.slice(0, end);
  const hole = positionals.indexOf(undefined);
  if (hole >= 0) {
    const positionalOnly = shape.positionalOnly ?? 0;
    if (shape.varargs && positionals.length > names.length) {
      throw new BridgeError("invalid_argument", `positional argument ${names[hole] ?? hole} is undefined, but *args follow it`);
    }
    for (let i = hole; i < positionals.length; i++) {
      if (positionals[i] === undefined) continue;
      const name = names[i];
      if (name === undefined || i < positionalOnly) {
        throw new BridgeError("invalid_argument", `positional-only argument ${name ?? i} cannot follow an undefined one`);
      }
      out[name] = positionals[i];
    }
    positionals = positionals.slice(0, hole);
  }
  return { args: positionals, kwargs: out, options };
}

// -- conversion of results -----------------------------------------------------------

/**
 * How a result becomes what its type promises: a generated class (a bare ref is
 * wrapped), a stream, or a container of those.
 * @private
 */
export type Conversion =
  | PyObjectClass
  | "stream"
  | { readonly array: Conversion }
  | { readonly tuple: ReadonlyArray<Conversion | null> }
  | { readonly record: Conversion }
  | { readonly map: Conversion }
  | { readonly stream: Conversion };

/**
 * Converts a received value as `conversion` says; values that are already right (or
 * `null`) are left as they are.
 * @private
 */
export function convert<T>(value: unknown, conversion: Conversion): T {
  return convertValue(value, conversion) as T;
}

function convertValue(value: unknown, conversion: Conversion): unknown {
  if (value === null || value === undefined) return value;
  if (typeof conversion === "function") {
    return value instanceof PyRef ? new conversion(value as PyRef<never>) : value;
  }
  if (conversion === "stream") return stream(value);
  if ("stream" in conversion) {
    const items = stream(value);
    const inner = conversion.stream;
    return {
      [Symbol.asyncIterator]: async function* () {
        for await (const item of items) yield convertValue(item, inner);
      },
    };
  }
  if ("array" in conversion) return Array.isArray(value) ? (value as unknown[]).map((item) => convertValue(item, conversion.array)) : value;
  if ("tuple" in conversion) {
    if (!Array.isArray(value)) return value;
    return (value as unknown[]).map((item, i) => {
      const inner = conversion.tuple[i];
      return inner ? convertValue(item, inner) : item;
    });
  }
  if ("record" in conversion) {
    if (!isPlainObject(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convertValue(v, conversion.record)]));
  }
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, convertValue(v, conversion.map)]));
  return value;
}

// -- bound modules and class objects --------------------------------------------------

/**
 * A Python module or class object bound to a bridge: the base of generated module
 * classes (`DspyModule`) and class-object classes (`PredictStatics`).
 */
export abstract class PyNamespace {
  /** The bridge calls go through. */
  protected readonly $bridge: Bridge;
  /** `module` or `module:Class`: the prefix of every target. */
  protected readonly $path: string;

  constructor(bridge: Bridge, path: string) {
    this.$bridge = bridge;
    this.$path = path;
  }

  private target(name: string): string {
    if (!name) return this.$path;
    return this.$path.includes(":") ? `${this.$path}.${name}` : `${this.$path}:${name}`;
  }

  /** Calls `name` (`""`: the object itself); `memo`: the manifest's `pure` / `cacheable` hint. */
  protected $call<T>(name: string, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>> | undefined, options?: CallOptions, memo?: Memo): Promise<T> {
    return this.$bridge.call<T>(this.target(name), args, kwargs ?? {}, withMemo(options, memo));
  }

  /** Calls `name` with arguments laid out as `shape` says. */
  protected $invoke<T>(name: string, shape: CallShape, args: readonly unknown[], memo?: Memo): Promise<T> {
    const call = pythonCall(shape, args);
    return this.$bridge.call<T>(this.target(name), call.args, call.kwargs, withMemo(call.options, memo));
  }

  /** Reads attribute `name`. */
  protected $get<T>(name: string, options?: CallOptions): Promise<T> {
    return this.$bridge.get<T>(this.target(name), options);
  }
}

// -- dunder methods ------------------------------------------------------------------

/** A comparison operator, named as in Python's `operator` module. */
export type Comparison = "lt" | "le" | "gt" | "ge" | "eq" | "ne";

const REFLECTED: Record<Comparison, Comparison> = { lt: "gt", le: "ge", gt: "lt", ge: "le", eq: "eq", ne: "ne" };

function isNotImplemented(value: unknown): boolean {
  const ref = value instanceof PyObject ? value.ref : value;
  return ref instanceof PyRef && ref.type === "builtins.NotImplementedType";
}

/**
 * `a < b` (and the other comparisons) as Python evaluates it: `a.__lt__(b)`, then the
 * reflected `b.__gt__(a)` when the first says `NotImplemented`.
 * @private
 */
export async function compare(op: Comparison, self: PyObject, other: unknown, options?: CallOptions): Promise<boolean> {
  const first = await self.ref.call<unknown>(`__${op}__`, [other], {}, options);
  if (!isNotImplemented(first)) return Boolean(first);
  const otherRef = other instanceof PyObject ? other.ref : other instanceof PyRef ? other : undefined;
  if (otherRef) {
    const second = await otherRef.call<unknown>(`__${REFLECTED[op]}__`, [self], {}, options);
    if (!isNotImplemented(second)) return Boolean(second);
  }
  if (op === "eq" || op === "ne") {
    const same = otherRef !== undefined && otherRef.id === self.ref.id && otherRef.workerId === self.ref.workerId;
    return op === "eq" ? same : !same;
  }
  throw new BridgeError("invalid_argument", `'${op}' is not supported between ${self.ref.type} and ${otherRef?.type ?? typeof other}`);
}

/**
 * `for await (const x of obj)` over a Python iterable: `iter(obj)` pulled in batches.
 * @private
 */
export function iterate<T>(self: PyObject, conversion?: Conversion): AsyncIterator<T> {
  return (async function* () {
    // A fresh iterator (its ref is released at the end), never the object itself.
    const iterator = await self.ref.call<unknown>("__iter__");
    for await (const item of stream<unknown>(iterator)) yield (conversion ? convertValue(item, conversion) : item) as T;
  })();
}

/**
 * A generated base class with the members `K` left out of its type, for a subclass
 * whose Python overrides change those members' signatures (TypeScript would reject the
 * override). At run time it is the base class itself, so `instanceof` still holds.
 * @private
 */
export function overriding<T extends PyObject, K extends PropertyKey>(base: abstract new (ref: PyRef<never>) => T): abstract new (ref: PyRef<never>) => Omit<T, K> & PyObject {
  return base;
}
