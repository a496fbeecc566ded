// The descriptor document `Describe` returns (schema version 1), as TypeScript types.
// docs/DESCRIPTORS.md and docs/descriptor.schema.json are the contract; the Python
// agent (python/bridge_worker/introspect) produces it.

/** The descriptor schema version this package reads. */
export const DESCRIPTOR_SCHEMA_VERSION = 1;

/** A whole Describe answer for one library. */
export interface DescriptorDocument {
  schema_version: 1;
  module: string;
  python_version: string;
  agent_version: string;
  analyzers?: Record<string, string | null>;
  packages: Record<string, string>;
  modules: ModuleDescriptor[];
  warnings: DescriptorWarning[];
  /** Classes that described classes inherit from but no described module exports (so generated classes can extend them). */
  base_classes?: ClassDescriptor[];
}

export interface DescriptorWarning {
  path: string;
  code: string;
  message: string;
}

export interface DocDescriptor {
  summary: string;
  description: string;
  examples: string[];
  deprecated?: string;
}

export interface ModuleDescriptor {
  name: string;
  doc: DocDescriptor;
  members: MemberDescriptor[];
}

export type MemberDescriptor = FunctionDescriptor | ClassDescriptor | ValueDescriptor | ModuleRefDescriptor;

export type ParamKind = "positional_only" | "positional_or_keyword" | "var_positional" | "keyword_only" | "var_keyword";

export interface DefaultDescriptor {
  repr: string;
  value?: unknown;
}

export interface ParamDescriptor {
  name: string;
  kind: ParamKind;
  annotation: TypeExpr | null;
  default: DefaultDescriptor | null;
  doc: string;
}

export interface FunctionDescriptor {
  kind: "function";
  name: string;
  qualname: string;
  /** Where the object really lives (`dspy.predict.predict.Predict` for `dspy.Predict`). */
  target: string;
  params: ParamDescriptor[];
  returns: TypeExpr | null;
  returns_doc: string;
  raises: Array<{ type: string; doc: string }>;
  is_async: boolean;
  is_generator: boolean;
  is_async_generator: boolean;
  streaming: boolean;
  doc: DocDescriptor;
  source: "griffe" | "inspect";
  typed: boolean;
  /** The `@overload` signatures (from the source or any `.pyi`), when there are several. */
  overloads?: OverloadDescriptor[];
}

/** One `@overload` of a function: its own parameters and return type. */
export interface OverloadDescriptor {
  params: ParamDescriptor[];
  returns: TypeExpr | null;
}

export interface PropertyDescriptor {
  name: string;
  kind: "property" | "attribute";
  annotation: TypeExpr | null;
  readonly: boolean;
  class_level: boolean;
  doc: string;
}

export interface FieldDescriptor {
  name: string;
  annotation: TypeExpr | null;
  required: boolean;
  default: DefaultDescriptor | null;
  doc: string;
}

export interface ShapeDescriptor {
  kind: "dataclass" | "typeddict" | "pydantic" | "namedtuple";
  fields: FieldDescriptor[];
}

export interface ClassDescriptor {
  kind: "class";
  name: string;
  qualname: string;
  target: string;
  bases: string[];
  doc: DocDescriptor;
  is_exception: boolean;
  constructor: FunctionDescriptor | null;
  methods: FunctionDescriptor[];
  classmethods: FunctionDescriptor[];
  staticmethods: FunctionDescriptor[];
  properties: PropertyDescriptor[];
  call: FunctionDescriptor | null;
  shape?: ShapeDescriptor;
  /** Special methods with a TypeScript form: `__str__`, `__repr__`, `__len__`, `__iter__`, `__contains__`, `__getitem__`, comparisons. */
  dunders?: FunctionDescriptor[];
}

export interface ValueDescriptor {
  kind: "value";
  name: string;
  qualname: string;
  type: string;
  annotation: TypeExpr | null;
  doc: DocDescriptor;
  repr: string;
  value?: unknown;
}

export interface ModuleRefDescriptor {
  kind: "module";
  name: string;
  qualname: string;
  module: string;
}

/** A structured Python annotation. */
export type TypeExpr =
  | { kind: "name"; name: string; self?: boolean }
  | { kind: "generic"; base: string; args: TypeExpr[] }
  | { kind: "tuple"; items: TypeExpr[]; variadic: boolean }
  | { kind: "union"; items: TypeExpr[] }
  | { kind: "literal"; values: Array<string | number | boolean | null> }
  | { kind: "callable"; params: TypeExpr[] | null; returns: TypeExpr }
  | { kind: "typevar"; name: string; bound: TypeExpr | null; constraints: TypeExpr[] }
  | { kind: "none" | "any" | "never" }
  | { kind: "unknown"; text: string };
