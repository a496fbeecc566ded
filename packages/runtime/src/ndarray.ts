/**
 * The dtypes an {@link NDArray} can have, as numpy names them. `complex64` and
 * `complex128` hold interleaved (real, imaginary) pairs; `float16` is a
 * `Float16Array` where the runtime has one, else the raw bits in a `Uint16Array`.
 */
export type DType =
  | "bool"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "float16"
  | "float32"
  | "float64"
  | "complex64"
  | "complex128";

/** The TypedArray that holds an array of each dtype. */
export interface TypedArrayOf {
  bool: Uint8Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
  float16: Uint16Array; // or a Float16Array where the runtime has one
  float32: Float32Array;
  float64: Float64Array;
  complex64: Float32Array;
  complex128: Float64Array;
}

/** Any TypedArray an NDArray may hold. */
export type AnyTypedArray = TypedArrayOf[DType];

type TypedArrayConstructor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): AnyTypedArray;
  new (length: number): AnyTypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

const Float16: TypedArrayConstructor | undefined = (globalThis as { Float16Array?: TypedArrayConstructor }).Float16Array;

const CONSTRUCTORS: Record<DType, TypedArrayConstructor> = {
  bool: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  float16: Float16 ?? Uint16Array,
  float32: Float32Array,
  float64: Float64Array,
  complex64: Float32Array,
  complex128: Float64Array,
};

const DTYPES = new Set<string>(Object.keys(CONSTRUCTORS));

/** Whether `name` is a dtype an NDArray can have. @private */
export function isDType(name: unknown): name is DType {
  return typeof name === "string" && DTYPES.has(name);
}

/** The dtype a plain TypedArray stands for (Uint8ClampedArray is uint8). @private */
export function dtypeOf(data: ArrayBufferView): DType | undefined {
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint32Array) return "uint32";
  if (data instanceof Int16Array) return "int16";
  if (data instanceof Uint16Array) return "uint16";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return "uint8";
  if (data instanceof BigInt64Array) return "int64";
  if (data instanceof BigUint64Array) return "uint64";
  if (Float16 && data instanceof Float16) return "float16";
  return undefined;
}

const itemsPerElement = (dtype: DType): number => (dtype === "complex64" || dtype === "complex128" ? 2 : 1);

/**
 * An n-dimensional array: what a numpy `ndarray` is in TypeScript, and what becomes
 * one in Python (a plain TypedArray does too). The data is one TypedArray in
 * C (row-major) order; it crosses the boundary as raw bytes, out of band, never
 * element by element.
 *
 * ```ts
 * const a = new NDArray(new Float64Array([1, 2, 3, 4]), [2, 2]);
 * const det = await bridge.call<number>("numpy.linalg.det", [a]); // -2
 * const b = await bridge.call<NDArray<"float64">>("numpy.eye", [3]);
 * b.shape; // [3, 3]
 * b.at(1, 1); // 1
 * ```
 */
export class NDArray<D extends DType = DType> {
  /** The numpy dtype name, e.g. `"float64"`. */
  readonly dtype: D;
  /** The length of each dimension; `[]` for a 0-d array (one element). */
  readonly shape: readonly number[];
  /** The elements in row-major order (for complex dtypes: real, imaginary, real, ...). */
  readonly data: TypedArrayOf[D];

  /**
   * Wraps `data` (not copied). `shape` defaults to one dimension of all the elements;
   * `dtype` defaults to the one `data`'s class stands for (required for `bool` and
   * the complex dtypes).
   */
  constructor(data: TypedArrayOf[D], shape?: readonly number[], dtype?: D) {
    const inferred = dtype ?? (dtypeOf(data) as D | undefined);
    if (inferred === undefined) throw new TypeError(`NDArray: cannot tell the dtype of a ${data.constructor.name}; pass it`);
    const Expected = CONSTRUCTORS[inferred];
    if (!(data instanceof (Expected as unknown as typeof Uint8Array)) && !(inferred === "float16" && data instanceof Uint16Array)) {
      throw new TypeError(`NDArray: a ${inferred} array needs a ${Expected.name}, got a ${data.constructor.name}`);
    }
    const count = data.length / itemsPerElement(inferred);
    const dims = shape ?? [count];
    if (!dims.every((n) => Number.isSafeInteger(n) && n >= 0)) throw new TypeError(`NDArray: bad shape [${dims.join(", ")}]`);
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== count) {
      throw new TypeError(`NDArray: shape [${dims.join(", ")}] holds ${size} elements, the data has ${count}`);
    }
    this.dtype = inferred;
    this.shape = Object.freeze([...dims]);
    this.data = data;
  }

  /** The number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** The number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** The element at an index, one coordinate per dimension (complex: `[re, im]`). */
  at(...index: number[]): number | bigint | boolean | [number, number] {
    if (index.length !== this.shape.length) throw new RangeError(`NDArray.at: expected ${this.shape.length} indices, got ${index.length}`);
    let offset = 0;
    for (let i = 0; i < index.length; i++) {
      const n = this.shape[i]!;
      const k = index[i]! < 0 ? index[i]! + n : index[i]!;
      if (!Number.isInteger(k) || k < 0 || k >= n) throw new RangeError(`NDArray.at: index ${index[i]} out of range for dimension ${i} (${n})`);
      offset = offset * n + k;
    }
    return this.#element(offset);
  }

  /** The array as nested JS arrays (a copy). */
  toArray(): unknown {
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.shape.length) return this.#element(offset);
      const n = this.shape[dim]!;
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset * n + i);
      return out;
    };
    return build(0, 0);
  }

  #element(offset: number): number | bigint | boolean | [number, number] {
    const data = this.data as ArrayLike<number | bigint>;
    if (this.dtype === "bool") return data[offset] !== 0;
    if (itemsPerElement(this.dtype) === 2) return [data[2 * offset] as number, data[2 * offset + 1] as number];
    return data[offset]!;
  }

  /** `NDArray<float64 [2, 3]>` */
  toString(): string {
    return `NDArray<${this.dtype} [${this.shape.join(", ")}]>`;
  }
}

/**
 * A TypedArray of `dtype` over `bytes` (little-endian, as on the wire), without a copy
 * when `bytes` is aligned for it. @private
 */
export function typedArrayFrom(dtype: DType, bytes: Uint8Array): AnyTypedArray {
  const Ctor = CONSTRUCTORS[dtype];
  const size = Ctor.BYTES_PER_ELEMENT;
  if (bytes.byteLength % size !== 0) {
    throw new RangeError(`${bytes.byteLength} bytes are not a whole number of ${dtype} items`);
  }
  if (bytes.byteOffset % size !== 0) bytes = bytes.slice();
  return new Ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / size);
}
