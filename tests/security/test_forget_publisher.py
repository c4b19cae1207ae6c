"""`calanque forget HOST`: nothing of the host stays under CALANQUE_HOME, and it is not fetched
again until `calanque unforget HOST`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.security.test_opt_out_copies import (
    ROBOTS_OPEN,
    TOKEN,
    _calanque,
    _routes,
    files_holding,
    term_in_lexical_index,
)
from tests.sites import serve_site

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_forgotten_host_leaves_no_copy_and_is_not_fetched_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with serve_site(_routes(ROBOTS_OPEN)) as site:
        host = site.url.removeprefix("http://")
        _calanque(home, "add", f"{site.url}/docs/index.html")
        assert _calanque(home, "crawl")["fetched"] == 2
        answer = _calanque(
            home, "ask", "What guides the fishing boats into the harbour at night?", "--save"
        )
        assert TOKEN in json.dumps(answer)
        (report,) = _calanque(home, "publishers", host)
        assert report["pages"] == 2 and report["cited"] >= 1 and report["last_cited"]

        forgotten = _calanque(home, "forget", host)
        assert forgotten["deleted"] == 2
        # out of the index at once (the catch-up prunes vectors and purges tantivy): it
        # took a `calanque index` before
        assert forgotten["index"]["deleted"] >= 2
        assert files_holding(home, TOKEN) == []
        assert not term_in_lexical_index(home, TOKEN)

        requests_before = len(site.requests)
        summary = _calanque(home, "crawl", "--refresh")
        assert summary["fetched"] == 0
        assert len(site.requests) == requests_before, "a forgotten host is never requested"
        (report,) = _calanque(home, "publishers", host)
        assert report["pages"] == 0 and report["refused"]["forgotten"] >= 2

        assert _calanque(home, "unforget", host)["unforgotten"] is True
        assert _calanque(home, "crawl", "--refresh")["fetched"] == 2
