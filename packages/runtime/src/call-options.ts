/** Options every call takes. */
export interface CallOptions {
  /** Cancels the call: it rejects with `canceled` and the worker is told. */
  signal?: AbortSignal;
  /** Deadline in milliseconds: the call rejects with `deadline_exceeded`. */
  timeoutMs?: number;
}
