"""One request must not stall every answer: a text limit on every field a caller sends,
questions cut to what the embedder reads, a time budget per request.

In-process (Starlette's TestClient, no sockets) with small embedders that record or
slow down what they are given.
"""

from __future__ import annotations

import time
import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from tests.conftest import HashEmbedder

from calanque.catalog import Catalog
from calanque.config import load_settings
from calanque.embed.base import MAX_QUERY_CHARS
from calanque.server import api, create_app
from calanque.server.api import MAX_TEXT_CHARS

LOCAL = ("127.0.0.1", 40000)
WORDS = ["apt", "upgrade", "packages", "mirror", "backup", "rsync", "firewall", "rules", "network"]


def long_text(chars: int) -> str:
    words = (WORDS * (chars // 40 + 2))[: chars // 6 + 2]
    return " ".join(words)[:chars]


class RecordingEmbedder(HashEmbedder):
    """Remembers every query it embeds; ``delay_s`` per query."""

    def __init__(self, delay_s: float = 0.0) -> None:
        super().__init__()
        self.delay_s = delay_s
        self.queries: list[str] = []

    def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        time.sleep(self.delay_s)
        return super().embed_query(text)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return super().embed_passages(texts)


def open_client(home: Path, embedder: HashEmbedder, **server: Any) -> TestClient:
    settings = load_settings({"home": home, "server": server}, environ={})
    home.mkdir(parents=True, exist_ok=True)
    app = create_app(settings, Catalog.open(settings.catalog_url), embedder=embedder)
    return TestClient(app, client=LOCAL, base_url="http://127.0.0.1")


@pytest.fixture
def recorder() -> RecordingEmbedder:
    return RecordingEmbedder()


@pytest.fixture
def local(tmp_path: Path, recorder: RecordingEmbedder) -> Iterator[TestClient]:
    with open_client(tmp_path / "home", recorder) as client:
        yield client


def request_models() -> list[type[BaseModel]]:
    return [
        value
        for value in vars(api).values()
        if isinstance(value, type) and issubclass(value, BaseModel) and value is not BaseModel
    ]


def string_limits(annotation: Any, metadata: Sequence[Any]) -> Iterator[int | None]:
    """The max_length of every str inside ``annotation`` (None when a str has none)."""
    if annotation is str:
        lengths = [getattr(m, "max_length", None) for m in metadata]
        yield next((n for n in lengths if n is not None), None)
        return
    if typing.get_origin(annotation) is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        yield from string_limits(inner, [*metadata, *extra])
        return
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return  # checked on its own
    for arg in typing.get_args(annotation):
        yield from string_limits(arg, [])


def test_every_request_text_field_has_the_one_limit() -> None:
    unbounded = []
    for model in request_models():
        for name, info in model.model_fields.items():
            for limit in string_limits(info.annotation, info.metadata):
                if limit is None or limit > MAX_TEXT_CHARS:
                    unbounded.append(f"{model.__name__}.{name}")
    assert not unbounded, f"give these fields the Text type (MAX_TEXT_CHARS): {unbounded}"


def test_huge_question_in_content_parts_is_refused(local: TestClient) -> None:
    part = {"type": "text", "text": "a" * (MAX_TEXT_CHARS + 1)}
    body = {"messages": [{"role": "user", "content": [part]}]}
    refused = local.post("/v1/chat/completions", json=body)
    assert refused.status_code == 422
    message = refused.json()["error"]["message"]
    assert "text" in message and str(MAX_TEXT_CHARS) in message


def test_huge_search_query_is_refused(local: TestClient) -> None:
    refused = local.post("/v1/search", json={"query": "b" * (MAX_TEXT_CHARS + 1)})
    assert refused.status_code == 422
    assert "query" in refused.json()["error"]["message"]


def test_long_question_is_cut_to_what_the_embedder_reads(
    local: TestClient, recorder: RecordingEmbedder
) -> None:
    question = long_text(MAX_TEXT_CHARS)
    body = {"messages": [{"role": "user", "content": [{"type": "text", "text": question}]}]}
    assert local.post("/v1/chat/completions", json=body).status_code == 200
    assert local.post("/v1/search", json={"query": question}).status_code == 200
    assert recorder.queries
    assert max(len(q) for q in recorder.queries) <= MAX_QUERY_CHARS


def test_request_over_the_time_budget_gets_504(tmp_path: Path) -> None:
    slow = RecordingEmbedder(delay_s=1.5)
    with open_client(tmp_path / "home", slow, request_timeout_s=0.2) as client:
        started = time.monotonic()
        late = client.post("/v1/search", json={"query": "how do I upgrade?"})
        elapsed = time.monotonic() - started
    assert late.status_code == 504, late.text
    assert "server.request_timeout_s" in late.json()["error"]["message"]
    assert elapsed < slow.delay_s


def test_time_budget_setting_must_be_positive(tmp_path: Path) -> None:
    from calanque.errors import ConfigError

    with pytest.raises(ConfigError, match="request_timeout_s"):
        load_settings({"home": tmp_path, "server": {"request_timeout_s": 0}}, environ={})
