import type { CallableReport } from "./generate.js";

/** How faithfully a library's API came through. */
export interface FidelityReport {
  library: string;
  /** Public callables generated (functions, constructors, methods, class/static methods). */
  callables: number;
  /** Of those, how many have no `unknown` in any parameter or the return type. */
  fullyTyped: number;
  /** Of those, how many carry a docstring summary. */
  documented: number;
  /** Callables that are not fully typed (their Python names), for follow-up. */
  untyped: string[];
}

/** Summarizes a generation's callables. */
export function fidelityReport(library: string, callables: readonly CallableReport[]): FidelityReport {
  return {
    library,
    callables: callables.length,
    fullyTyped: callables.filter((c) => c.typed).length,
    documented: callables.filter((c) => c.documented).length,
    untyped: callables.filter((c) => !c.typed).map((c) => c.python),
  };
}
