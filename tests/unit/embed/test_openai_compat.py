"""The real ``openai`` client against an in-process ``/v1/embeddings`` (httpx mock transport)."""

from __future__ import annotations

import json

import httpx
import numpy as np
import openai
import pytest

from calanque.embed.openai_compat import OpenAICompatibleEmbedder
from calanque.errors import ModelError


def make_client(dim: int, requests: list[dict[str, object]], status: int = 200) -> openai.OpenAI:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        requests.append(body)
        if status != 200:
            return httpx.Response(status, json={"error": {"message": "bad key"}})
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": [float(len(t)), 1.0] + [0.0] * (dim - 2),
            }
            for i, t in enumerate(body["input"])
        ][::-1]  # out of order on purpose
        usage = {"prompt_tokens": 1, "total_tokens": 1}
        return httpx.Response(
            200, json={"object": "list", "data": data, "model": "m", "usage": usage}
        )

    http = httpx.Client(transport=httpx.MockTransport(handler))
    return openai.OpenAI(
        base_url="http://127.0.0.1:9/v1", api_key="k", http_client=http, max_retries=0
    )


def test_batches_prefixes_orders_and_normalises() -> None:
    requests: list[dict[str, object]] = []
    embedder = OpenAICompatibleEmbedder(
        "http://127.0.0.1:9/v1", "e5", client=make_client(4, requests),
        batch_size=2, query_prefix="query: ", passage_prefix="passage: ",
    )  # fmt: skip
    vectors = embedder.embed_passages(["a", "bb", "ccc"])
    assert embedder.dim == 4 and embedder.name == "openai-compatible/e5"
    assert [r["input"] for r in requests[:2]] == [["passage: a", "passage: bb"], ["passage: ccc"]]
    assert vectors.shape == (3, 4) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert vectors[0, 0] < vectors[1, 0] < vectors[2, 0]  # rows follow input order
    embedder.embed_query("q")
    assert requests[-1]["input"] == ["query: q"]


def test_errors_say_what_to_check() -> None:
    embedder = OpenAICompatibleEmbedder(
        "http://127.0.0.1:9/v1", "e5", dim=4, client=make_client(4, [], status=401)
    )
    with pytest.raises(ModelError, match="API key"):
        embedder.embed_query("q")


def test_wrong_dimension_is_reported() -> None:
    embedder = OpenAICompatibleEmbedder(
        "http://127.0.0.1:9/v1", "e5", dim=8, client=make_client(4, [])
    )
    with pytest.raises(ModelError, match="expected 8"):
        embedder.embed_passages(["x"])
