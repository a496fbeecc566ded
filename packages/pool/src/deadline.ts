/**
 * The one place a call's `signal` and `timeoutMs` become a single AbortSignal
 * (connect-es's `createDeadlineSignal`): the pool applies it once, at its entry.
 * @private
 */
export function callSignal(signal: AbortSignal | undefined, timeoutMs: number | undefined): AbortSignal | undefined {
  const timeout = timeoutMs !== undefined && timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
  if (!timeout) return signal;
  if (!signal) return timeout;
  return AbortSignal.any([signal, timeout]);
}
