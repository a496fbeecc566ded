export { createPool } from "./pool.js";
export type { Pool, PoolOptions, PoolEvent, WorkerInfo, InvokeOptions, InvokeResult } from "./pool.js";
export type { InvokeRequest, DescribeRequest } from "./worker-client.js";
export { BridgeError, PythonError } from "./bridge-error.js";
export type { Code, BridgeErrorOptions, PythonExceptionInfo } from "./bridge-error.js";
export { bundledWorkerPath } from "./worker-source.js";
export { WORKER_REQUIREMENTS, WORKER_VERSION } from "./worker-requirements.js";
