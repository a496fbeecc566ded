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
    """Holds objects under string ids until the host releases them (or their session ends).

    Ids are never reused within a process, so a stale id can only miss, never alias.
    Safe to use from every thread at once.
    """

    def __init__(self) -> None:
        self._objects: dict[str, object] = {}
        # session -> ids created by its calls (only for calls made in a session).
        self._sessions: dict[str, set[str]] = {}
        self._session_of: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, obj: object, session: str = "") -> str:
        """Keep ``obj`` and return its new id; ``session`` owns it when given."""
        with self._lock:
            ref_id = f"r{next(self._ids)}"
            self._objects[ref_id] = obj
            if session:
                self._sessions.setdefault(session, set()).add(ref_id)
                self._session_of[ref_id] = session
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
                session = self._session_of.pop(ref_id, None)
                if session is not None:
                    self._sessions[session].discard(ref_id)

    def release_session(self, session: str) -> int:
        """Forget every object created in ``session``; returns how many there were."""
        with self._lock:
            ids = self._sessions.pop(session, set())
            for ref_id in ids:
                self._objects.pop(ref_id, None)
                self._session_of.pop(ref_id, None)
        return len(ids)

    def session_size(self, session: str) -> int:
        """How many objects ``session`` holds now."""
        return len(self._sessions.get(session, ()))

    def __len__(self) -> int:
        return len(self._objects)

    def __contains__(self, ref_id: object) -> bool:
        return ref_id in self._objects
