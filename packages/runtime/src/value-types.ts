// PLACEHOLDERS (type-only), to be replaced by the value codec's real classes: generated
// code names these types for Python values that travel by value. The codec work
// (new value encoding) owns their shape and runtime behaviour; until it lands, values
// of these Python types still arrive as refs at run time.

/** Any of JavaScript's typed arrays: the data of an {@link NDArray}. */
export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** A `numpy.ndarray` by value: dtype, shape and the data (placeholder type). */
export interface NDArray {
  readonly dtype: string;
  readonly shape: number[];
  readonly data: TypedArray;
}

/** A `datetime.date` by value (placeholder type). */
export interface PyDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** A `datetime.time` by value (placeholder type). */
export interface PyTime {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly microsecond: number;
}

/** A `datetime.timedelta` by value (placeholder type). */
export interface PyTimedelta {
  readonly days: number;
  readonly seconds: number;
  readonly microseconds: number;
}

/** A `pyarrow.Table` or `pandas.DataFrame` by value, as an Arrow table (placeholder type). */
export interface ArrowTable {
  readonly numRows: number;
  readonly schema: unknown;
}
