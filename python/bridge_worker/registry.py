"""Remote objects: values the worker keeps so the host can refer to them by id."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from bridge_worker.faults import NotFoundError


def type_name(obj: object) -> str:
    """The qualified name of an object's class, e.g. ``collections.Counter``."""
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


class Registry:
    """Holds objects under string ids until the host releases them.

    Ids are never reused within a process, so a stale id can only miss, never alias.
    Safe to use from the event loop and worker threads at once.
    """

    def __init__(self) -> None:
        self._objects: dict[str, object] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, obj: object) -> str:
        """Keep ``obj`` and return its new id."""
        with self._lock:
            ref_id = f"r{next(self._ids)}"
            self._objects[ref_id] = obj
        return ref_id

    def get(self, ref_id: str) -> Any:
        """The object held under ``ref_id``; NotFoundError if it was released or never existed."""
        try:
            return self._objects[ref_id]
        except KeyError:
            raise NotFoundError(
                f"remote object {ref_id!r} does not exist (released, or from another worker)"
            ) from None

    def release(self, ref_ids: list[str] | tuple[str, ...]) -> None:
        """Forget these ids; unknown ids are ignored."""
        with self._lock:
            for ref_id in ref_ids:
                self._objects.pop(ref_id, None)

    def __len__(self) -> int:
        return len(self._objects)

    def __contains__(self, ref_id: object) -> bool:
        return ref_id in self._objects
