"""Describe: a Python library's public API as descriptor JSON (schema version 1).

griffe reads the source (and ``.pyi`` stubs) statically; ``inspect`` fills in what
it cannot see (compiled modules, members built at run time, lazy ``__getattr__``).
The schema is documented in docs/DESCRIPTORS.md and docs/descriptor.schema.json.
"""

from bridge_worker.introspect.document import SCHEMA_VERSION, Description, describe
from bridge_worker.introspect.report import report

__all__ = ["SCHEMA_VERSION", "Description", "describe", "report"]
