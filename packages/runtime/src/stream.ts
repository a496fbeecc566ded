import { BridgeError, type OpenStream, type Pool, type RawPayload } from "@bridge/pool";
import { abortReason } from "./call-options.js";
import type { IterateOptions, PyRef } from "./py-ref.js";

/** How a stream's items are decoded (bound to the bridge and the ref's worker). @private */
export type DecodeItems = (payload: RawPayload) => unknown[];

/**
 * An AsyncIterable over the Python iterator `ref` holds, fed by the worker's stream
 * frames. The worker sends at most `highWaterMark` items ahead; consuming half of them
 * grants that many more, so a slow consumer holds the producer back. Ending early
 * (`break`, `return()`, an abort) closes the Python iterator.
 * @private
 */
export function refStream<T>(
  pool: Pool,
  ref: PyRef,
  decodeItems: DecodeItems,
  options: IterateOptions,
  releaseAtEnd: boolean,
  session?: string,
): AsyncIterable<T> {
  const window = Math.max(1, Math.floor(options.highWaterMark ?? options.batchSize ?? 64));
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const queue: T[] = [];
      let ended = false;
      let failure: unknown;
      let waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
      let handle: OpenStream | undefined;
      let consumed = 0;
      let finished = false;
      const signal = options.signal;

      const finish = () => {
        if (finished) return;
        finished = true;
        signal?.removeEventListener("abort", onAbort);
        ref.unretain();
        if (releaseAtEnd) void ref.release();
      };
      const wake = () => {
        const w = waiter;
        if (!w) return;
        waiter = undefined;
        if (queue.length) w.resolve({ value: queue.shift()!, done: false });
        else if (failure !== undefined) w.reject(failure);
        else w.resolve({ value: undefined, done: true });
      };
      const onAbort = () => {
        if (ended) return;
        ended = true;
        failure = abortReason(signal!);
        handle?.cancel();
        queue.length = 0;
        finish();
        wake();
      };
      const open = () => {
        if (signal?.aborted) {
          onAbort();
          return;
        }
        signal?.addEventListener("abort", onAbort, { once: true });
        ref.retain();
        try {
          handle = pool.stream(
            { target: "", ref: ref.id, timeoutMs: options.timeoutMs, session },
            ref.workerId,
            window,
            {
              chunk: (payload) => {
                if (ended) return;
                try {
                  queue.push(...(decodeItems(payload) as T[]));
                } catch (error) {
                  failure = error;
                  ended = true;
                  handle?.cancel();
                  finish();
                }
                wake();
              },
              end: (error) => {
                if (ended) return;
                ended = true;
                failure = error;
                finish();
                wake();
              },
            },
          );
        } catch (error) {
          ended = true;
          failure = error instanceof BridgeError ? error : BridgeError.from(error);
          finish();
        }
      };
      const close = (): IteratorResult<T> => {
        if (!ended) {
          ended = true;
          handle?.cancel();
          finish();
        }
        queue.length = 0;
        return { value: undefined, done: true };
      };
      return {
        next(): Promise<IteratorResult<T>> {
          if (!handle && !ended) open();
          if (queue.length) {
            if (++consumed >= Math.ceil(window / 2) && !ended) {
              handle?.credit(consumed);
              consumed = 0;
            }
            return Promise.resolve({ value: queue.shift()!, done: false });
          }
          if (ended) return failure !== undefined ? Promise.reject(BridgeError.from(failure)) : Promise.resolve({ value: undefined, done: true });
          return new Promise((resolve, reject) => {
            waiter = {
              resolve: (r) => {
                if (!r.done && ++consumed >= Math.ceil(window / 2) && !ended) {
                  handle?.credit(consumed);
                  consumed = 0;
                }
                resolve(r);
              },
              reject,
            };
          });
        },
        return: () => Promise.resolve(close()),
        throw: (error?: unknown) => {
          close();
          return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        },
      };
    },
  };
}
