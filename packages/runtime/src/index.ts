export { createBridge } from "./bridge.js";
export type { Bridge, BridgeOptions, HostTools, PyModule, Session, SessionOptions, WorkerScope } from "./bridge.js";
export { PyRef } from "./py-ref.js";
export type { IterateOptions } from "./py-ref.js";
export { PyObject, wrapAs } from "./py-object.js";
export type { PyObjectClass } from "./py-object.js";
export type { CallOptions } from "./call-options.js";
export type { Memo, MemoLimits, MemoStats, MemoTable } from "./memo.js";
export { NDArray } from "./ndarray.js";
export type { DType, TypedArrayOf, AnyTypedArray, AnyTypedArray as TypedArray } from "./ndarray.js";
export { PyDate, PyDateTime, PyTime, PyTimedelta } from "./py-datetime.js";
export type { ArrowTable } from "./arrow.js";
export { describeFunction } from "./host-functions.js";
export type { FunctionMeta, ParameterSpec } from "./host-functions.js";
export { BridgeError, PythonError } from "@bridge/pool";
export type { Code, PythonExceptionInfo, WorkerInfo, PoolEvent, PoolStats, GrpcEndpoint } from "@bridge/pool";

export { PyNamespace, stream } from "./generated-support.js";
export type { Optionals, FixedOptionals, VarArgs, Comparison } from "./generated-support.js";

// For libraries built on the runtime (generated code, introspection):
export { positional, pythonCall, convert, compare, iterate, overriding } from "./generated-support.js";
export type { CallShape, PythonCall, Conversion } from "./generated-support.js";
export type { Pool } from "@bridge/pool";
