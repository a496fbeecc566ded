import type { CallbackWire } from "./encoder.js";

/** A declared parameter of a host function (what `inspect.signature` shows in Python). */
export interface ParameterSpec {
  /** The Python parameter name (an identifier). */
  name: string;
  /** JSON Schema type name: "string", "number", "integer", "boolean", "array", "object", "null". */
  type?: string;
  /** Shown by libraries that describe tools (DSPy, LangChain...). */
  description?: string;
  /** Whether the caller must pass it. Default: true unless `default` is given. */
  required?: boolean;
  /** The default value, if optional. */
  default?: unknown;
  /** `"positional"` (positional-only), `"keyword"` (keyword-only), `"rest"` (*args), `"kwargs"` (**kwargs). */
  kind?: "positional" | "keyword" | "rest" | "kwargs";
}

/**
 * A zod (3 or 4) object schema, recognized by shape: zod is not a dependency of the
 * runtime. Its fields are read through {@link ZodInternals}; typed `unknown` here so any
 * zod version's schema types are assignable.
 */
interface ZodObjectLike {
  shape: Record<string, unknown>;
  safeParse(value: unknown): { success: boolean; data?: unknown; error?: { message: string } | undefined };
}

/** What is read of a zod field schema (zod 4's `_zod.def`, zod 3's `_def`). */
interface ZodInternals {
  description?: string | undefined;
  /** zod 3 and 4 number schemas: whether `.int()` applies. */
  isInt?: boolean | null;
  isOptional?: () => boolean;
  _zod?: { def?: { type?: string; innerType?: unknown; defaultValue?: unknown } };
  _def?: { typeName?: string; innerType?: unknown; description?: string };
}

/** How a host function is shown to Python: `bridge.fn(fn, meta)`. */
export interface FunctionMeta {
  /** `__name__` in Python. Default: the function's own name. */
  name?: string;
  /** `__doc__` in Python. */
  description?: string;
  /**
   * The parameters Python sees: a list (the function is called positionally, keyword
   * arguments mapped by name), or a zod object schema / JSON Schema object (the function
   * is called with one object of the named fields, validated by the schema when it is zod).
   */
  parameters?: readonly ParameterSpec[] | ZodObjectLike | { type: "object"; properties: Record<string, { type?: string; description?: string }>; required?: readonly string[] };
}

const metas = new WeakMap<(...args: never[]) => unknown, FunctionMeta>();

/**
 * Declares how a TypeScript function looks to Python (name, docstring, signature), for
 * libraries that introspect their callbacks (`dspy.Tool(fn)`). Returns the function.
 *
 * ```ts
 * const search = bridge.fn(async (query: string) => lookup(query), {
 *   name: "search", description: "Search the docs.", parameters: [{ name: "query", type: "string" }],
 * });
 * await bridge.call("dspy.Tool", [search]);
 * ```
 */
export function describeFunction<F extends (...args: never[]) => unknown>(fn: F, meta: FunctionMeta): F {
  metas.set(fn, meta);
  return fn;
}

function isZodObject(value: unknown): value is ZodObjectLike {
  return typeof value === "object" && value !== null && typeof (value as ZodObjectLike).safeParse === "function" && typeof (value as ZodObjectLike).shape === "object";
}

function zodField(name: string, schema: unknown): ParameterSpec {
  const field = schema as ZodInternals;
  let inner: ZodInternals | undefined = field;
  let optional = typeof field.isOptional === "function" ? field.isOptional() : false;
  let type: string | undefined;
  let defaultValue: unknown;
  for (let i = 0; inner && i < 8; i++) {
    const t = inner._zod?.def?.type ?? inner._def?.typeName?.replace(/^Zod/, "").toLowerCase();
    if (t === "optional" || t === "nullable" || t === "default") {
      optional ||= t !== "nullable";
      if (t === "default") defaultValue = inner._zod?.def?.defaultValue;
      inner = (inner._zod?.def?.innerType ?? inner._def?.innerType) as ZodInternals | undefined;
      continue;
    }
    type = t === "int" || (t === "number" && inner.isInt === true) ? "integer" : t;
    break;
  }
  const known = ["string", "number", "integer", "boolean", "array", "object", "null"];
  const description = field.description ?? field._def?.description;
  return {
    name,
    ...(type && known.includes(type) ? { type } : {}),
    ...(description ? { description } : {}),
    ...(optional ? { required: false, default: defaultValue ?? null } : {}),
  };
}

/** The parameter list and call style of a function's metadata. @private */
export function parametersOf(meta: FunctionMeta | undefined, fn: (...args: never[]) => unknown): { params: ParameterSpec[] | null; objectStyle: boolean; schema?: ZodObjectLike } {
  const declared = meta?.parameters;
  if (declared === undefined) {
    // From the function's arity: positional parameters named arg0, arg1...
    return { params: fn.length ? Array.from({ length: fn.length }, (_, i) => ({ name: `arg${i}` })) : null, objectStyle: false };
  }
  if (Array.isArray(declared)) return { params: [...(declared as readonly ParameterSpec[])], objectStyle: false };
  if (isZodObject(declared)) {
    return { params: requiredFirst(Object.entries(declared.shape).map(([name, field]) => zodField(name, field))), objectStyle: true, schema: declared };
  }
  const schema = declared as { properties: Record<string, { type?: string; description?: string }>; required?: readonly string[] };
  const required = new Set(schema.required ?? []);
  return {
    params: requiredFirst(
      Object.entries(schema.properties).map(([name, spec]) => ({
        name,
        ...(spec.type ? { type: spec.type } : {}),
        ...(spec.description ? { description: spec.description } : {}),
        ...(required.has(name) ? {} : { required: false, default: null }),
      })),
    ),
    objectStyle: true,
  };
}

/**
 * An object's fields as parameters, the required ones first (stable): a Python signature
 * cannot put a parameter without a default after one with a default, and for a function
 * called with one object the fields' order carries no meaning.
 */
function requiredFirst(params: ParameterSpec[]): ParameterSpec[] {
  const optional = (p: ParameterSpec) => p.required === false || "default" in p;
  return [...params.filter((p) => !optional(p)), ...params.filter(optional)];
}

/** What a registered host function needs at call time. @private */
export interface HostFunction {
  fn: (...args: never[]) => unknown;
  params: ParameterSpec[] | null;
  objectStyle: boolean;
  schema: ZodObjectLike | undefined;
  name: string;
}

/**
 * Host functions and iterables handed to Python, by id. An id is made per value sent;
 * Python tells the host when it drops one (ReleaseRefs), and the entry goes.
 * @private
 */
export class HostValues {
  private readonly functions = new Map<string, HostFunction>();
  private readonly iterators = new Map<string, { iterable: Iterable<unknown> | AsyncIterable<unknown>; iterator?: Iterator<unknown> | AsyncIterator<unknown>; done?: boolean }>();
  /** Which worker holds each value (known once the call that carried it reached one). */
  private readonly holders = new Map<string, string>();
  private readonly byWorker = new Map<string, Set<string>>();
  private next = 1;

  /** Registers `fn`; returns its wire form. */
  callback(fn: (...args: never[]) => unknown): CallbackWire {
    const id = `c${this.next++}`;
    const meta = metas.get(fn);
    const { params, objectStyle, schema } = parametersOf(meta, fn);
    const name = meta?.name ?? (fn.name || "host_function");
    this.functions.set(id, { fn, params, objectStyle, schema, name });
    return [id, name, meta?.description ?? null, params];
  }

  /** Registers an iterable that travels by reference; returns its id. */
  iterator(iterable: Iterable<unknown> | AsyncIterable<unknown>): string {
    const id = `i${this.next++}`;
    this.iterators.set(id, { iterable });
    return id;
  }

  /** The function registered under `id`. */
  functionOf(id: string): HostFunction | undefined {
    return this.functions.get(id);
  }

  /** The iterable registered under `id` (handed back by Python). */
  iterableOf(id: string): Iterable<unknown> | AsyncIterable<unknown> | undefined {
    return this.iterators.get(id)?.iterable;
  }

  /** Pulls up to `n` items of iterator `id`: `[items, done]`. */
  async pull(id: string, n: number): Promise<[unknown[], boolean]> {
    const entry = this.iterators.get(id);
    if (!entry) throw new Error(`host iterator ${id} is gone`);
    entry.iterator ??=
      Symbol.asyncIterator in entry.iterable
        ? (entry.iterable)[Symbol.asyncIterator]()
        : (entry.iterable)[Symbol.iterator]();
    const items: unknown[] = [];
    for (let i = 0; i < n; i++) {
      let step: IteratorResult<unknown>;
      try {
        step = await entry.iterator.next();
      } catch (error) {
        entry.done = true; // a generator that threw is finished
        throw error;
      }
      if (step.done) {
        entry.done = true;
        return [items, true];
      }
      items.push(step.value);
    }
    return [items, false];
  }

  /** Stops iterator `id` early (its `return()` runs). */
  async stop(id: string): Promise<void> {
    const entry = this.iterators.get(id);
    if (!entry || entry.done) return;
    entry.done = true;
    await entry.iterator?.return?.();
  }

  /** Records that worker `workerId` holds these values (so its exit releases them). */
  claim(workerId: string, ids: readonly string[]): void {
    if (ids.length === 0) return;
    let held = this.byWorker.get(workerId);
    if (!held) this.byWorker.set(workerId, (held = new Set()));
    for (const id of ids) {
      if (!this.functions.has(id) && !this.iterators.has(id)) continue; // released already
      this.holders.set(id, workerId);
      held.add(id);
    }
  }

  /** The worker is gone: every value it held is released (iterators stopped). */
  releaseWorker(workerId: string): void {
    const held = this.byWorker.get(workerId);
    this.byWorker.delete(workerId);
    if (held) this.release([...held]);
  }

  /** Python dropped these values; an iterator it started and dropped unfinished is stopped (its `finally` runs). */
  release(ids: readonly string[]): void {
    for (const id of ids) {
      const holder = this.holders.get(id);
      if (holder !== undefined) {
        this.holders.delete(id);
        this.byWorker.get(holder)?.delete(id);
      }
      this.functions.delete(id);
      const entry = this.iterators.get(id);
      if (!entry) continue;
      this.iterators.delete(id);
      if (entry.iterator && !entry.done) {
        const iterator = entry.iterator;
        void (async () => {
          try {
            await iterator.return?.();
          } catch {
            // Nobody is left to tell: Python let go of it.
          }
        })();
      }
    }
  }

  /** How many host values Python holds now. */
  get size(): number {
    return this.functions.size + this.iterators.size;
  }
}

/** Arranges Python's `(args, kwargs)` as the TS function wants its arguments. @private */
export function hostArguments(entry: HostFunction, args: unknown[], kwargs: Record<string, unknown>): unknown[] {
  const keys = Object.keys(kwargs);
  if (entry.objectStyle) {
    const object: Record<string, unknown> = {};
    (entry.params ?? []).forEach((p, i) => {
      if (i < args.length) object[p.name] = args[i];
    });
    Object.assign(object, kwargs);
    if (entry.schema) {
      const parsed = entry.schema.safeParse(object);
      if (!parsed.success) throw new TypeError(`${entry.name}: invalid arguments: ${parsed.error?.message ?? "schema validation failed"}`);
      return [parsed.data];
    }
    return [object];
  }
  if (keys.length === 0) return args;
  const params = entry.params;
  if (!params) return [...args, kwargs];
  const out = [...args];
  const rest: Record<string, unknown> = {};
  for (const key of keys) {
    const index = params.findIndex((p) => p.name === key && p.kind !== "kwargs" && p.kind !== "rest");
    if (index >= 0 && index >= args.length) out[index] = kwargs[key];
    else if (index >= 0) throw new TypeError(`${entry.name}() got multiple values for argument '${key}'`);
    else rest[key] = kwargs[key];
  }
  if (Object.keys(rest).length) {
    if (!params.some((p) => p.kind === "kwargs")) throw new TypeError(`${entry.name}() got unexpected keyword argument(s) ${Object.keys(rest).join(", ")}`);
    out.push(rest);
  }
  return out;
}
