"""``OpenAICompatibleLLM``: any OpenAI-compatible chat endpoint, streamed.

OpenAI, Mistral, vLLM, Ollama, llama.cpp's server... all speak
``POST {base_url}/chat/completions`` with ``stream=true``; one code path, the
``openai`` client. The API key comes from the environment
(``CALANQUE_LLM_API_KEY``); local servers accept any key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai

from calanque.errors import ModelError
from calanque.llm.base import DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, Message

_NO_KEY = "no-key"  # local servers ignore the key, but the client wants one


class OpenAICompatibleLLM:
    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        *,
        timeout: float = 60.0,
        http_client: Any = None,
    ) -> None:
        if not base_url or not model:
            raise ModelError(
                "the openai writer needs a base URL and a model: set answer.llm_base_url "
                "(e.g. http://127.0.0.1:8080/v1) and answer.llm_model in calanque.toml "
                "or CALANQUE_ANSWER_LLM_BASE_URL / CALANQUE_ANSWER_LLM_MODEL"
            )
        self.base_url = base_url
        self.model = model
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key or _NO_KEY,
            timeout=timeout,
            max_retries=1,
            http_client=http_client,
        )

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = DEFAULT_TEMPERATURE,
    ) -> Iterator[str]:
        try:
            response = self._client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
                stream=True,
            )
            for chunk in response:
                choices = getattr(chunk, "choices", None)
                if not choices:
                    continue
                delta = choices[0].delta.content
                if delta:
                    yield delta
        except openai.AuthenticationError as exc:
            raise ModelError(
                f"{self.base_url} refused the API key ({exc.status_code}): set "
                "CALANQUE_LLM_API_KEY to a valid key"
            ) from exc
        except openai.APIError as exc:
            raise ModelError(
                f"the model endpoint {self.base_url} failed for model {self.model!r}: {exc}. "
                "Check that the server runs and serves this model."
            ) from exc
