"""Extraction workers end with the crawl that started them, even after ``kill -9``.

A worker of the extraction pool is a child of multiprocessing's forkserver, not of the
crawl, and waits on a queue that never closes: when the crawl is killed without a chance
to shut the pool down, the worker would wait forever. It also holds the forkserver's
"alive" pipe and the resource tracker's pipe, so those two helpers would stay as well.
:func:`exit_with` (the pool's initializer) makes the worker exit as soon as the crawl
process is gone; the forkserver and the resource tracker then see their pipes close and
exit by themselves.
"""

from __future__ import annotations

import contextlib
import os
import resource
import select
import threading
import time

POLL_S = 0.5  # where pidfd_open is unavailable


def exit_with(pid: int, memory_mb: int = 0) -> None:
    """Pool initializer: end this process when the process ``pid`` ends; ``memory_mb``:
    the most memory it may allocate (0: no limit), so that a file that would take all of
    it (a zip bomb) fails with a ``MemoryError`` in this worker, not in the machine."""
    if memory_mb > 0:
        limit = memory_mb * 2**20
        with contextlib.suppress(ValueError, OSError):  # a lower hard limit stands
            resource.setrlimit(
                resource.RLIMIT_DATA, (limit, resource.getrlimit(resource.RLIMIT_DATA)[1])
            )
    watcher = threading.Thread(target=_watch, args=(pid,), name="calanque-lifeline", daemon=True)
    watcher.start()


def _watch(pid: int) -> None:
    try:
        handle = os.pidfd_open(pid)  # readable once the process has ended (Linux 5.3+)
    except (AttributeError, OSError):
        while _alive(pid):
            time.sleep(POLL_S)
    else:
        select.select([handle], [], [])
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
