export { createPool } from "./pool.js";
export type { Pool, PoolOptions, PoolStats, WorkerStats, CloseOptions, InvokeOptions, InvokeResult, OpenStream } from "./pool.js";
export type { PoolEvent } from "./supervisor.js";
export type { WorkerInfo } from "./worker-start.js";
export type { GrpcEndpoint } from "./grpc-transport.js";
export type {
  InvokeRequest,
  DescribeRequest,
  CallbackRequest,
  CallbackOutcome,
  ConnectionEvents,
  StreamSink,
  StreamHandle,
} from "./worker-connection.js";
export type { RawPayload, TraceContext } from "./wire.js";
export { BridgeError, PythonError, abortError } from "./bridge-error.js";
export type { Code, BridgeErrorOptions, PythonExceptionInfo } from "./bridge-error.js";
export { bundledWorkerPath } from "./worker-source.js";
export { WORKER_REQUIREMENTS, WORKER_VERSION } from "./worker-requirements.js";
