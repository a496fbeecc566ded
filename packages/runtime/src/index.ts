export { createBridge } from "./bridge.js";
export type { Bridge, BridgeOptions, PyModule, WorkerScope } from "./bridge.js";
export { PyRef } from "./py-ref.js";
export { PyObject, wrapAs } from "./py-object.js";
export type { PyObjectClass } from "./py-object.js";
export type { CallOptions } from "./call-options.js";
export { BridgeError, PythonError } from "@bridge/pool";
export type { Code, PythonExceptionInfo, WorkerInfo, PoolEvent } from "@bridge/pool";

export type { NDArray, TypedArray, PyDate, PyTime, PyTimedelta, ArrowTable } from "./value-types.js";
export { PyNamespace, stream } from "./generated-support.js";
export type { Optionals, FixedOptionals, VarArgs, Comparison } from "./generated-support.js";

// For libraries built on the runtime (generated code, introspection):
export { positional, pythonCall, convert, compare, iterate, overriding } from "./generated-support.js";
export type { CallShape, PythonCall, Conversion } from "./generated-support.js";
export type { Pool } from "@bridge/pool";
