import { withMemo, type CallOptions } from "./call-options.js";
import { pythonCall, type CallShape } from "./generated-support.js";
import type { Memo } from "./memo.js";
import { PyRef } from "./py-ref.js";

const asyncDispose: typeof Symbol.asyncDispose =
  Symbol.asyncDispose ?? (Symbol.for("Symbol.asyncDispose") as typeof Symbol.asyncDispose);

/**
 * Base class of generated classes: a typed face over a {@link PyRef}. Generated
 * subclasses add one method per Python method and call the protected helpers.
 * Passing a PyObject to Python passes the object it wraps.
 */
export abstract class PyObject<Type extends string = string> {
  /** The Python object this wraps. */
  readonly ref: PyRef<Type>;

  constructor(ref: PyRef<Type>) {
    this.ref = ref;
  }

  /** Calls a method (`""` calls the object itself); `memo`: the manifest's hint (a call on a ref is never memoized). */
  protected $call<T>(name: string, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>> | undefined, options?: CallOptions, memo?: Memo): Promise<T> {
    return this.ref.call<T>(name, args, kwargs ?? {}, withMemo(options, memo));
  }

  /** Calls a method with arguments laid out as `shape` says (generated code's call shape). */
  protected $invoke<T>(name: string, shape: CallShape, args: readonly unknown[], memo?: Memo): Promise<T> {
    const call = pythonCall(shape, args);
    return this.ref.call<T>(name, call.args, call.kwargs, withMemo(call.options, memo));
  }

  /** Reads an attribute. */
  protected $get<T>(name: string, options?: CallOptions): Promise<T> {
    return this.ref.get<T>(name, options);
  }

  /** Assigns an attribute. */
  protected $set(name: string, value: unknown, options?: CallOptions): Promise<void> {
    return this.ref.set(name, value, options);
  }

  /** Lets Python drop the object. */
  release(): Promise<void> {
    return this.ref.release();
  }

  /** `await using obj = ...` releases it at the end of the scope. */
  [asyncDispose](): Promise<void> {
    return this.ref.release();
  }

  /** `Predict<dspy.predict.predict.Predict r3@w1>` */
  toString(): string {
    return `${this.constructor.name}<${this.ref.type} ${this.ref.id}@${this.ref.workerId}>`;
  }
}

/** A generated class's constructor, as registered with {@link Bridge.registerClass}. */
// `PyRef<never>`: a class over PyRef<"pkg.Cls"> accepts it (constructor parameters are contravariant).
export type PyObjectClass<T extends PyObject = PyObject> = new (ref: PyRef<never>) => T;

/**
 * Wraps a value as `cls` when it is a bare PyRef (e.g. a subclass instance whose exact
 * Python type has no generated class); leaves anything else untouched.
 */
export function wrapAs<T extends PyObject>(cls: PyObjectClass<T>, value: unknown): T {
  if (value instanceof PyRef) return new cls(value as PyRef<never>);
  return value as T;
}
