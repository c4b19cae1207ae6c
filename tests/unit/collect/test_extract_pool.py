"""The crawl's extraction pool under a slow file and pages beside it (real processes)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from calanque.collect import crawler as crawler_module
from calanque.collect.crawler import Crawler
from calanque.config import load_settings


def sleepy(body: bytes, url: str, *_: object) -> str:
    """Stands in for ``process_body``: ``body`` says how long the file takes."""
    time.sleep(float(body))
    return url


@pytest.mark.parametrize("workers", [1, 2])
def test_a_slow_file_times_out_alone_and_the_pages_beside_it_are_extracted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """A timeout killed the pool: pages waiting in it were cancelled (the crawl stopped)
    or timed out too, their wait counted as work."""
    monkeypatch.setattr(crawler_module, "process_body", sleepy)
    settings = load_settings({"home": tmp_path, "crawl": {"extract_timeout_s": 1.0}}, environ={})
    crawler = Crawler(None, settings, extract_workers=workers)  # type: ignore[arg-type]

    async def run() -> list[object]:
        crawler._pool = crawler._make_pool()
        try:
            hostile = crawler.extract(b"5", "hostile", "text/html", None, False)
            quick = [
                crawler.extract(b"0.1", f"quick{i}", "text/html", None, False) for i in range(7)
            ]
            return await asyncio.gather(hostile, *quick, return_exceptions=True)
        finally:
            crawler._pool.shutdown(wait=False)

    hostile, *quick = asyncio.run(run())
    assert getattr(hostile, "error_kind", "") == "extract-timeout"
    assert quick == [f"quick{i}" for i in range(7)]
