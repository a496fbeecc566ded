/**
 * The Python distributions `bridge_worker` needs at run time, as PEP 508 strings:
 * an environment that runs Bridge workers must have these (`@bridge/uv` locks them
 * with the user's dependencies). Kept equal to python/pyproject.toml by a test.
 */
export const WORKER_REQUIREMENTS: readonly string[] = [
  "grpcio>=1.75.1",
  "grpcio-health-checking>=1.75.1",
  "protobuf>=6.31.1,<8",
  "msgpack>=1.0.0",
  "griffe>=1.15,<2",
  "typeshed_client>=2.14,<3",
];

/** The version of the `bridge_worker` shipped in this package (= its `__version__`, checked by a test). */
export const WORKER_VERSION = "0.1.0";
