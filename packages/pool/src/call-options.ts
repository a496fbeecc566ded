/** Per-call options. */
export interface InvokeOptions {
  /** Cancels the call: the promise rejects with `canceled` and the worker is told. */
  signal?: AbortSignal | undefined;
  /** Deadline; the promise rejects with `deadline_exceeded` when it passes (the worker is told, and stops the call). */
  timeoutMs?: number | undefined;
  /** Run on this worker (a ref's worker). Fails with `not_found` if it is gone. */
  workerId?: string | undefined;
}

/**
 * The one place a call's `signal` and `timeoutMs` become a single AbortSignal
 * (connect-es's `createDeadlineSignal`): the pool applies it once, at its entry, and
 * `abortError` (bridge-error.ts) says which code an aborted one stands for.
 * @private
 */
export function callSignal(signal: AbortSignal | undefined, timeoutMs: number | undefined): AbortSignal | undefined {
  const timeout = timeoutMs !== undefined && timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
  if (!timeout) return signal;
  if (!signal) return timeout;
  return AbortSignal.any([signal, timeout]);
}
