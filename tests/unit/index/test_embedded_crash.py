"""kill -9 at any moment: the next run replays from the recorded position and converges."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from tests.unit.index.crash_writer import apply_batch, expected_state, open_index, vector

from calanque.index._dense import DenseStore
from calanque.types import SearchFilters

WRITER = Path(__file__).with_name("crash_writer.py")
LAST = 80


def assert_converged(folder: Path, last: int = LAST) -> None:
    index = open_index(folder)
    try:
        for batch in range(index.position() + 1, last + 1):
            apply_batch(index, batch)
        state = expected_state(last)
        assert index.position() == last
        assert index.info().count == len(state)
        hits = index.search_lexical("commun", 10 * len(state), SearchFilters())
        found = {h.chunk_id: h.text for h in hits}
        assert len(hits) == len(found) == len(state)  # no duplicates, nothing lost
        assert all(f"version{state[cid]} " in text for cid, text in found.items())
        assert sorted(index.get_vectors(list(state))) == sorted(state)
        dense = index.search_dense(vector(15), 5, SearchFilters())
        assert dense[0].chunk_id == 15
    finally:
        index.close()


@pytest.mark.slow
@pytest.mark.parametrize("delay_s", [0.4, 1.0, 2.0])
def test_sigkill_then_replay_converges(tmp_path: Path, delay_s: float) -> None:
    folder = tmp_path / "index"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])}
    proc = subprocess.Popen([sys.executable, str(WRITER), str(folder), "1", str(LAST)], env=env)
    time.sleep(delay_s)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert_converged(folder)


def test_crash_between_lexical_and_dense_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "index"
    index = open_index(folder)
    apply_batch(index, 1)

    def fail(self: DenseStore) -> None:
        raise OSError("disk unplugged")

    monkeypatch.setattr(DenseStore, "save", fail)
    with pytest.raises(OSError):
        apply_batch(index, 2)
    index.close()
    monkeypatch.undo()
    reopened = open_index(folder)
    assert reopened.position() == 1  # the older of lexical (2) and dense (1)
    reopened.close()
    assert_converged(folder, last=4)


def test_refresh_sees_another_writer(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    writer = open_index(folder)
    apply_batch(writer, 1)
    reader = open_index(folder)
    apply_batch(writer, 2)
    time.sleep(0.01)
    assert reader.refresh() is True
    assert reader.position() == 2
    assert reader.get_vectors([25]) and np.isfinite(reader.get_vectors([25])[25]).all()
    assert reader.refresh() is False
    writer.close()
    reader.close()
