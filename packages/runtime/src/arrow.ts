import { createRequire } from "node:module";

/**
 * An Apache Arrow table (the `apache-arrow` package's `Table`): what a `pyarrow.Table`
 * or a pandas `DataFrame` becomes when `apache-arrow` is installed beside the runtime
 * and pyarrow in the worker's environment. Described structurally here so the runtime
 * needs no dependency on `apache-arrow`; at run time it is a real `Table`.
 */
export interface ArrowTable {
  readonly numRows: number;
  readonly numCols: number;
  readonly schema: { readonly fields: ReadonlyArray<{ readonly name: string }>; readonly metadata: Map<string, string> };
  getChild(name: string): { toArray(): unknown; get(index: number): unknown; readonly length: number } | null;
  toArray(): unknown[];
}

/** The parts of `apache-arrow` the codec uses. @private */
export interface ArrowModule {
  Table: abstract new (...args: never[]) => unknown;
  tableToIPC(table: never, format: "stream"): Uint8Array;
  tableFromIPC(bytes: Uint8Array): unknown;
}

let loaded: Promise<ArrowModule | undefined> | undefined;

/** Whether `apache-arrow` (an optional peer dependency) can be imported, without importing it. @private */
export function arrowInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve("apache-arrow");
    return true;
  } catch {
    return false;
  }
}

/** `apache-arrow`, if it is installed. @private */
export function loadArrow(): Promise<ArrowModule | undefined> {
  loaded ??= arrowInstalled()
    ? import(/* @vite-ignore */ "apache-arrow").then(
        (module: ArrowModule) => module,
        () => undefined,
      )
    : Promise.resolve(undefined);
  return loaded;
}
