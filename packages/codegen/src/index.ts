export { generateLibrary, CODEGEN_VERSION } from "./generate.js";
export type { GenerateOptions, GeneratedLibrary, CallableReport } from "./generate.js";
export type { Naming, MemberOverride, MemoHint, OverrideProblem } from "./model.js";
export { fidelityReport } from "./report.js";
export type { FidelityReport } from "./report.js";
export type * from "./descriptor.js";
export { DESCRIPTOR_SCHEMA_VERSION } from "./descriptor.js";

// Building blocks, for tools built on the generator:
export { mapType } from "./type-map.js";
export type { TypeScope, TsType, Direction } from "./type-map.js";
export { safeIdentifier, camelCase, pascalCase } from "./ts-names.js";
