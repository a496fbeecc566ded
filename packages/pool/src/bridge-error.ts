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

// -- one table per boundary ---------------------------------------------------------

/** The wire's ErrorCode (worker.proto) for each Bridge code, and back. */
const protoByCode: Record<Code, ErrorCode> = {
  invalid_argument: ErrorCode.INVALID_ARGUMENT,
  not_found: ErrorCode.NOT_FOUND,
  deadline_exceeded: ErrorCode.DEADLINE_EXCEEDED,
  canceled: ErrorCode.CANCELED,
  unavailable: ErrorCode.UNAVAILABLE,
  worker_crashed: ErrorCode.WORKER_CRASHED,
  resource_exhausted: ErrorCode.RESOURCE_EXHAUSTED,
  internal: ErrorCode.INTERNAL,
  python_exception: ErrorCode.PYTHON_EXCEPTION,
};
const codeByProto = new Map<ErrorCode, Code>(Object.entries(protoByCode).map(([code, proto]) => [proto, code as Code]));

/** The Bridge code a wire ErrorCode stands for (`internal` for one this host does not know). @private */
export function codeFromProto(proto: ErrorCode): Code {
  return codeByProto.get(proto) ?? "internal";
}

/** The wire ErrorCode for a Bridge code. @private */
export function protoFromCode(code: Code): ErrorCode {
  return protoByCode[code];
}

/**
 * gRPC status codes, as the gRPC specification numbers them (the same in every
 * implementation; @grpc/grpc-js is loaded lazily, so its enum is not imported here).
 * @private
 */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/**
 * The Bridge code a gRPC status on a worker's connection stands for. A refused token
 * (UNAUTHENTICATED, PERMISSION_DENIED) or a worker that does not serve the method
 * (UNIMPLEMENTED) means no call can run there: `unavailable`, like a worker that is down.
 */
const codeByGrpcStatus = new Map<number, Code>([
  [GrpcStatus.CANCELLED, "canceled"],
  [GrpcStatus.UNKNOWN, "internal"],
  [GrpcStatus.INVALID_ARGUMENT, "invalid_argument"],
  [GrpcStatus.DEADLINE_EXCEEDED, "deadline_exceeded"],
  [GrpcStatus.NOT_FOUND, "not_found"],
  [GrpcStatus.PERMISSION_DENIED, "unavailable"],
  [GrpcStatus.RESOURCE_EXHAUSTED, "resource_exhausted"],
  [GrpcStatus.FAILED_PRECONDITION, "unavailable"],
  [GrpcStatus.UNIMPLEMENTED, "unavailable"],
  [GrpcStatus.INTERNAL, "internal"],
  [GrpcStatus.UNAVAILABLE, "unavailable"],
  [GrpcStatus.DATA_LOSS, "internal"],
  [GrpcStatus.UNAUTHENTICATED, "unavailable"],
]);
const grpcStatusName = new Map<number, string>(Object.entries(GrpcStatus).map(([name, status]) => [status, name]));

/**
 * Why a worker's connection failed, as a BridgeError: a gRPC status (from @grpc/grpc-js)
 * becomes its code with the status name in the message (`UNAUTHENTICATED: a valid worker
 * token is required`); anything else (a socket error, the lane closing) is `unavailable`.
 * @private
 */
export function connectionError(reason: unknown): BridgeError {
  if (reason instanceof BridgeError) return reason;
  const status = (reason as { code?: unknown } | undefined)?.code;
  if (typeof status === "number" && grpcStatusName.has(status)) {
    const details = (reason as { details?: unknown }).details;
    const text = typeof details === "string" && details ? details : reason instanceof Error ? reason.message : String(reason);
    return new BridgeError(codeByGrpcStatus.get(status) ?? "internal", `${grpcStatusName.get(status)}: ${text}`, {
      cause: reason,
      details: { grpcStatus: status },
    });
  }
  return BridgeError.from(reason, "unavailable");
}

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
  const code = codeFromProto(frame.code);
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
