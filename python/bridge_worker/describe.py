"""Describe (the RPC's implementation lives in :mod:`bridge_worker.introspect`)."""

from bridge_worker.introspect import SCHEMA_VERSION, Description, describe

__all__ = ["SCHEMA_VERSION", "Description", "describe"]
