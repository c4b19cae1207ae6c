"""The per-process model locks, taken once per call to the embedder or the index.

The embedder, tantivy and usearch are shared by every request of a worker process. Each
index call runs under the model lock, each embedder call under the embedder's lock
(:class:`LockedCalls`; ``serving_runtime`` makes both), so the shared caches stay
consistent; between two calls the locks are free. A request therefore never holds one for
longer than one embedding or one index call: a long answer (a slow model writing, many
sentences to verify) lets a concurrent search through between its steps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class LockedCalls:
    """``target`` with each of its methods run under ``lock``; other attributes as they are."""

    def __init__(self, target: Any, lock: threading.RLock) -> None:
        self._target = target
        self._lock = lock

    @property
    def unlocked(self) -> Any:
        """The object itself (for code that already holds the lock around several calls)."""
        return self._target

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value
        return self._locked(value)

    def _locked(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return method(*args, **kwargs)

        call.__name__ = getattr(method, "__name__", "call")
        return call
