"""30 s of ``bench/soak.py`` in CI: mixed traffic and a background crawl, no error, flat memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.soak import run_soak
from tests.e2e.served import corpus

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_soak_30_s_has_no_error_and_flat_memory(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    source = corpus(tmp_path_factory.getbasetemp())
    result = run_soak(
        30.0,
        8,
        home=source.home,
        # One section of pages crawled and indexed in the background: the index (and so the
        # process) legitimately grows with every new section, which is not what this checks.
        sections=1,
        json_path=tmp_path / "soak.json",
        plot_path=tmp_path / "soak.png",
    )
    assert result.errors == 0, result.error_messages
    kinds = result.by_kind
    assert all(kinds[k]["requests"] >= 20 for k in ("search", "answer", "stream")), kinds
    # the background crawl ran over the API and its pages were indexed while answering
    assert result.crawl["sections_started"] >= 1 and result.crawl["pages_fetched"] >= 10
    # traffic never stalled: every 5 s window after the first served requests
    assert all(w.requests > 0 for w in result.windows), result.windows
    # memory is flat after the warm-up (generous: shared CI machines are noisy)
    assert result.rss_growth_mb < 50 and result.rss_growth_pct < 15, result.rss
    saved = json.loads((tmp_path / "soak.json").read_text())
    assert saved["errors"] == 0 and len(saved["rss"]) >= 25
    assert (tmp_path / "soak.png").stat().st_size > 10_000
