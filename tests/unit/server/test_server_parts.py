"""Pure pieces of the server: error mapping, token bucket, conversations, bind check."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from calanque.cli.serve import check_bind
from calanque.errors import AuthError, CatalogError, IndexMismatchError, ModelError, SourceError
from calanque.server.api import ChatMessage, conversation
from calanque.server.auth import RateLimiter, TokenBucket, is_loopback
from calanque.server.errors import RequestError, status_for


def test_one_error_to_status_mapping() -> None:
    assert status_for(SourceError("x")) == (400, "invalid_source")
    assert status_for(IndexMismatchError("x")) == (503, "index_mismatch")
    assert status_for(CatalogError("x")) == (503, "catalog_unavailable")
    assert status_for(ModelError("x")) == (502, "model_error")
    assert status_for(AuthError("x", status=429)) == (429, "rate_limit_error")
    assert status_for(RequestError("x", status=404, kind="not_found")) == (404, "not_found")


def test_token_bucket_refills_over_time() -> None:
    bucket = TokenBucket(capacity=2, rate=1.0, updated=0.0)
    assert bucket.take(0.0) == 0.0 and bucket.take(0.0) == 0.0
    assert bucket.take(0.0) == pytest.approx(1.0)
    assert bucket.take(1.0) == 0.0


def test_rate_limiter_zero_is_unlimited() -> None:
    limiter = RateLimiter(0)
    for _ in range(1000):
        limiter.check("k")
    strict = RateLimiter(1)
    strict.check("a")
    strict.check("b")  # one bucket per key
    with pytest.raises(AuthError) as caught:
        strict.check("a")
    assert caught.value.status == 429


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("127.8.0.1")
    assert not is_loopback("10.0.0.1") and not is_loopback(None) and not is_loopback("example.org")


def test_conversation_pairs_earlier_turns() -> None:
    messages = [
        ChatMessage(role="system", content="be brief"),
        ChatMessage(role="user", content="q1"),
        ChatMessage(role="assistant", content="a1"),
        ChatMessage(role="user", content=[{"type": "text", "text": "q2"}]),  # type: ignore[list-item]
    ]
    assert conversation(messages) == ("q2", [("q1", "a1")])
    with pytest.raises(RequestError, match="last message"):
        conversation([ChatMessage(role="user", content="  ")])


def test_an_earlier_answer_in_calanque_s_markdown_is_read_as_plain_text() -> None:
    markdown = (
        "According to the sources: [1]\n\n\\# apt install nginx [1]\n\nSee <https://nginx.org/>."
    )
    messages = [
        ChatMessage(role="user", content="How do I install nginx?"),
        ChatMessage(role="assistant", content=markdown),
        ChatMessage(role="user", content="And how do I start it?"),
    ]
    _, [(_, answer)] = conversation(messages)
    assert (
        answer == "According to the sources: [1]\n# apt install nginx [1]\nSee https://nginx.org/."
    )


def test_serve_refuses_public_bind_without_keys() -> None:
    check_bind("127.0.0.1", 0)
    check_bind("::1", 0)
    check_bind("0.0.0.0", 1)
    with pytest.raises(AuthError, match="calanque keys create NAME"):
        check_bind("0.0.0.0", 0)


def test_an_index_call_does_not_wait_for_an_embedding(tmp_path: Path) -> None:
    """The server's embedder and index each have their lock: a long query embedding (or
    one request's) leaves the index free for the lexical search beside it."""
    from tests.conftest import HashEmbedder

    from calanque.config import load_settings
    from calanque.server.services import serving_runtime

    inner, embedding = HashEmbedder(), threading.Event()

    class SlowEmbedder(HashEmbedder):
        def embed_query(self, text: str) -> Any:
            embedding.set()
            time.sleep(1.0)
            return inner.embed_query(text)

    settings = load_settings({"home": tmp_path}, environ={})
    runtime, lock = serving_runtime(settings, embedder=SlowEmbedder())
    try:
        runtime.index.position()  # opened before the clock starts
        worker = threading.Thread(target=runtime.embedder.embed_query, args=("apt",))
        worker.start()
        assert embedding.wait(5.0)
        started = time.monotonic()
        runtime.index.position()
        waited = time.monotonic() - started
        worker.join()
        assert waited < 0.5, f"the index call waited {waited:.2f} s for the embedding"
        with lock:  # the model lock still guards the index (a batch of writes holds it)
            assert runtime.index.position() == 0
    finally:
        runtime.close()
