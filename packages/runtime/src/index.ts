export { createBridge } from "./bridge.js";
export type { Bridge, BridgeOptions, PyModule, WorkerScope } from "./bridge.js";
export { PyRef } from "./py-ref.js";
export { PyObject, wrapAs } from "./py-object.js";
export type { PyObjectClass } from "./py-object.js";
export type { CallOptions } from "./call-options.js";
export { BridgeError, PythonError } from "@bridge/pool";
export type { Code, PythonExceptionInfo, WorkerInfo, PoolEvent } from "@bridge/pool";

// For libraries built on the runtime (generated code, introspection):
export { positional, stream } from "./generated-support.js";
export type { Pool } from "@bridge/pool";
