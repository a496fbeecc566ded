from __future__ import annotations

from collections.abc import Iterator

import pytest
from harness import WorkerProcess


@pytest.fixture(scope="session")
def worker() -> Iterator[WorkerProcess]:
    """One worker shared by the tests that do not end it."""
    process = WorkerProcess()
    yield process
    process.stop()


@pytest.fixture
def own_worker() -> Iterator[WorkerProcess]:
    """A worker for one test, which may shut it down."""
    process = WorkerProcess()
    yield process
    process.stop()
