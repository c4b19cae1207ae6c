"""schemathesis generates requests from /openapi.json against the running server: no 500s.

Each API operation gets a bounded number of generated cases (hypothesis, no deadline).
schemathesis' pytest plugin (``from_fixture``) does not work with this pytest version, so
the test walks the operations itself with the operations' hypothesis strategies.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from tests.e2e.served import Served, corpus, start_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
EXAMPLES = 10


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    source = corpus(tmp_path_factory.getbasetemp())
    # private sources refused (the default): generated URLs never make the server fetch anything
    with start_server(
        source, tmp_path_factory.mktemp("schema") / "home", allow_private_sources=False
    ) as running:
        yield running


def operations(served: Served) -> list[object]:
    loaded = schemathesis.openapi.from_url(f"{served.url}/openapi.json")
    # starting a crawl is covered by test_api_openai; here it would fetch generated URLs
    chosen = loaded.exclude(path="/v1/crawl", method="POST")
    return [result.ok() for result in chosen.get_all_operations()]


def test_no_server_errors(served: Served) -> None:
    checked = []
    for operation in operations(served):

        @given(case=operation.as_strategy())  # type: ignore[attr-defined]
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=served.url, checks=[not_a_server_error])

        run()
        checked.append(operation.label)  # type: ignore[attr-defined]
    assert "POST /v1/chat/completions" in checked and "POST /v1/sources" in checked
    assert len(checked) >= 12
