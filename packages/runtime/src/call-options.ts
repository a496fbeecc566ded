import { abortError } from "@bridge/pool";
import type { Memo } from "./memo.js";

/** Options every call takes. */
export interface CallOptions {
  /** Cancels the call: it rejects with `canceled`, and Python is told (a coroutine is cancelled, a thread interrupted). */
  signal?: AbortSignal;
  /** Deadline in milliseconds: the call rejects with `deadline_exceeded`, and Python stops it as for a cancel. */
  timeoutMs?: number;
  /**
   * Memoize this call on the host ({@link Memo}): `true` for a pure function, `{ ttlMs }`
   * to reuse a result for that long, `false` to call Python even where the generated code
   * memoizes. Calls whose arguments hold refs, functions or iterables are never memoized,
   * nor results that hold refs. Default: no memoization.
   */
  memo?: Memo;
}

/**
 * `options` with the generated code's memo hint (a manifest's `pure` / `cacheable`),
 * unless the caller chose (`options.memo`). @private
 */
export function withMemo(options: CallOptions | undefined, memo: Memo | undefined): CallOptions | undefined {
  if (memo === undefined || options?.memo !== undefined) return options;
  return { ...options, memo };
}

/** The BridgeError an aborted signal stands for (`canceled`, or `deadline_exceeded` for a timeout). @private */
export const abortReason = abortError;
