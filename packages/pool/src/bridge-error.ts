import {
  ErrorCode,
  type Error as ErrorFrame,
  type PythonException,
} from "@bridge/protocol";

/**
 * The closed set of reasons a Bridge call can fail, modelled on gRPC status codes.
 */
export type Code =
  | "invalid_argument"
  | "not_found"
  | "deadline_exceeded"
  | "canceled"
  | "unavailable"
  | "worker_crashed"
  | "resource_exhausted"
  | "internal"
  | "python_exception";

/** Options for {@link BridgeError}. */
export interface BridgeErrorOptions {
  /** The underlying reason, kept for `error.cause`. */
  cause?: unknown;
  /** Free-form facts a user or a log can use (worker id, pid, target). */
  details?: Readonly<Record<string, unknown>>;
}

/**
 * Every failure Bridge reports is a BridgeError with a `code` from a closed set;
 * the message starts with the code in brackets, as `[worker_crashed] ...`.
 */
export class BridgeError extends Error {
  override name = "BridgeError";
  /** Why the call failed, from a closed set. */
  readonly code: Code;
  /** The message without the `[code]` prefix. */
  readonly rawMessage: string;
  /** Facts about the failure (worker id, pid, exit code, target...). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: Code, message: string, options: BridgeErrorOptions = {}) {
    super(`[${code}] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.rawMessage = message;
    this.details = options.details ?? {};
  }

  /** Wraps any thrown value in a BridgeError, keeping BridgeErrors as they are. */
  static from(reason: unknown, code: Code = "internal"): BridgeError {
    if (reason instanceof BridgeError) return reason;
    if (reason instanceof Error) return new BridgeError(code, reason.message, { cause: reason });
    return new BridgeError(code, String(reason), { cause: reason });
  }
}

/** One exception in a Python cause chain. */
export interface PythonExceptionInfo {
  /** Qualified type name, e.g. `builtins.ValueError`. */
  readonly type: string;
  /** `str(exception)`. */
  readonly message: string;
  /** The formatted Python traceback of this exception. */
  readonly traceback: string;
}

/**
 * A call failed because Python raised. Carries the Python type, message and
 * traceback; `cause` is the Python `__cause__`/`__context__`, as another PythonError.
 */
export class PythonError extends BridgeError {
  override name = "PythonError";
  /** Qualified Python type name, e.g. `builtins.ValueError`. */
  readonly pythonType: string;
  /** `str(exception)` on the Python side. */
  readonly pythonMessage: string;
  /** The formatted Python traceback. */
  readonly traceback: string;

  constructor(
    code: Code,
    message: string,
    info: PythonExceptionInfo,
    options: BridgeErrorOptions = {},
  ) {
    super(code, message, options);
    this.pythonType = info.type;
    this.pythonMessage = info.message;
    this.traceback = info.traceback;
  }
}

const codeByProto: Record<number, Code> = {
  [ErrorCode.INVALID_ARGUMENT]: "invalid_argument",
  [ErrorCode.NOT_FOUND]: "not_found",
  [ErrorCode.DEADLINE_EXCEEDED]: "deadline_exceeded",
  [ErrorCode.CANCELED]: "canceled",
  [ErrorCode.UNAVAILABLE]: "unavailable",
  [ErrorCode.WORKER_CRASHED]: "worker_crashed",
  [ErrorCode.RESOURCE_EXHAUSTED]: "resource_exhausted",
  [ErrorCode.INTERNAL]: "internal",
  [ErrorCode.PYTHON_EXCEPTION]: "python_exception",
};

function pythonErrorFrom(
  code: Code,
  message: string,
  exc: PythonException,
  details: Readonly<Record<string, unknown>>,
  depth: number,
): PythonError {
  const cause =
    exc.cause && depth < 16
      ? pythonErrorFrom("python_exception", `${exc.cause.type}: ${exc.cause.message}`, exc.cause, details, depth + 1)
      : undefined;
  return new PythonError(
    code,
    message,
    { type: exc.type, message: exc.message, traceback: exc.traceback },
    cause === undefined ? { details } : { details, cause },
  );
}

/**
 * Turns a worker's error frame into a BridgeError, or a PythonError when a
 * Python exception is attached.
 * @private
 */
export function errorFromFrame(
  frame: ErrorFrame,
  details: Readonly<Record<string, unknown>> = {},
): BridgeError {
  const code = codeByProto[frame.code] ?? "internal";
  if (frame.exception) {
    return pythonErrorFrom(code, frame.message, frame.exception, details, 0);
  }
  return new BridgeError(code, frame.message, { details });
}

/**
 * Why an aborted call's signal fired, as a BridgeError: `deadline_exceeded` for a
 * timeout, `canceled` otherwise (a BridgeError reason is kept as it is).
 * @private
 */
export function abortError(signal: AbortSignal): BridgeError {
  const reason: unknown = signal.reason;
  if (reason instanceof BridgeError) return reason;
  if (reason instanceof Error && reason.name === "TimeoutError") {
    return new BridgeError("deadline_exceeded", "the call's deadline passed", { cause: reason });
  }
  return new BridgeError("canceled", "the call was cancelled", { cause: reason });
}
