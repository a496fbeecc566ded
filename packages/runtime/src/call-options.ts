import { abortError } from "@bridge/pool";

/** Options every call takes. */
export interface CallOptions {
  /** Cancels the call: it rejects with `canceled`, and Python is told (a coroutine is cancelled, a thread interrupted). */
  signal?: AbortSignal;
  /** Deadline in milliseconds: the call rejects with `deadline_exceeded`, and Python stops it as for a cancel. */
  timeoutMs?: number;
}

/** The BridgeError an aborted signal stands for (`canceled`, or `deadline_exceeded` for a timeout). @private */
export const abortReason = abortError;
