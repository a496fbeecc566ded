/**
 * The closed set of reasons building an environment can fail.
 *
 * - `uv_not_found`: no usable uv, and bootstrapping was not allowed.
 * - `bootstrap_failed`: uv was missing and installing it with pip failed.
 * - `resolution_failed`: `uv lock` found no solution (`requirement` names the culprit).
 * - `install_failed`: downloading, building or installing a locked package (or the worker) failed.
 * - `lock_stale`: `frozen` was set and the lockfile is missing or no longer matches the spec.
 * - `python_not_found`: no interpreter on this machine satisfies the spec's Python version.
 * - `locked`: another process held the environment's lock for longer than the timeout.
 * - `canceled`: the caller's `signal` aborted.
 */
export type UvErrorCode =
  | "uv_not_found"
  | "bootstrap_failed"
  | "resolution_failed"
  | "install_failed"
  | "lock_stale"
  | "python_not_found"
  | "locked"
  | "canceled";

/** Options for {@link UvError}. */
export interface UvErrorOptions {
  /** The requirement (PEP 508 string, or a package name) that failed, when known. */
  requirement?: string;
  /** uv's (or pip's) stderr, complete. */
  stderr?: string;
  /** The command that failed, program first. */
  command?: readonly string[];
  /** The underlying reason, kept for `error.cause`. */
  cause?: unknown;
}

/**
 * Every failure of `@bridge/uv` is a UvError with a `code` from a closed set; the
 * message starts with the code in brackets, as `[resolution_failed] ...`, names the
 * failing requirement when there is one, and quotes the first lines of uv's stderr.
 */
export class UvError extends Error {
  override name = "UvError";
  /** Why it failed, from a closed set. */
  readonly code: UvErrorCode;
  /** The failing requirement (as written in the spec when it is a direct dependency). */
  // `declare`: no own property unless set, so `"requirement" in error` means there is one.
  declare readonly requirement?: string;
  /** The failing tool's complete stderr ("" when no tool ran). */
  readonly stderr: string;
  /** The failing command, program first ([] when no tool ran). */
  readonly command: string[];
  /** The message without the `[code]` prefix. */
  readonly rawMessage: string;

  constructor(code: UvErrorCode, message: string, options: UvErrorOptions = {}) {
    super(`[${code}] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.rawMessage = message;
    if (options.requirement !== undefined) this.requirement = options.requirement;
    this.stderr = options.stderr ?? "";
    this.command = [...(options.command ?? [])];
  }
}

/** The error a canceled operation rejects with. @private */
export function canceledError(signal: AbortSignal | undefined, what: string): UvError {
  const reason: unknown = signal?.reason;
  return new UvError("canceled", `${what} was canceled`, reason === undefined ? {} : { cause: reason });
}

/** Throws `canceled` if the signal has aborted. @private */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw canceledError(signal, what);
}
