import { PyObject } from "./py-object.js";
import { PyRef } from "./py-ref.js";

/**
 * Positional arguments without the trailing ones left `undefined` (optional
 * positional Python parameters must be omitted, not sent as None, so Python applies
 * their defaults). `rest` holds the values for `*args`: when there are any, every
 * positional before them is sent, since Python fills parameters in order.
 * Used by generated code.
 */
export function positional(args: readonly unknown[], rest: readonly unknown[] = []): unknown[] {
  if (rest.length > 0) return [...args, ...rest];
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
      // eslint-disable-next-line @typescript-eslint/require-await -- the items are here already; the contract is AsyncIterable
      [Symbol.asyncIterator]: async function* () {
        yield* items;
      },
    };
  }
  throw new TypeError(`expected a Python iterator, got ${String(value)}`);
}
