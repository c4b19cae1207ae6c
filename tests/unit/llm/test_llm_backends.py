import json
import sys

import httpx
import pytest

from calanque.errors import ModelError
from calanque.llm import LLM, LlamaCppLLM, OpenAICompatibleLLM, ScriptedLLM, complete

MESSAGES = [{"role": "user", "content": "Bonjour ?"}]


def sse(deltas: list[str]) -> bytes:
    events = []
    for text in deltas:
        chunk = {
            "id": "c1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
        }
        events.append(f"data: {json.dumps(chunk)}\n\n")
    events.append("data: [DONE]\n\n")
    return "".join(events).encode()


def test_scripted_llm_replies_in_turn_and_records_calls() -> None:
    llm = ScriptedLLM(["Un [1].", "Deux."], delta_chars=2)
    assert isinstance(llm, LLM)
    assert list(llm.stream(MESSAGES)) == ["Un", " [", "1]", "."]
    assert complete(llm, MESSAGES) == "Deux."
    assert complete(llm, MESSAGES) == "Deux."
    assert llm.calls[0] == MESSAGES


def test_openai_compatible_streams_deltas_through_the_real_client() -> None:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        assert request.url.path == "/v1/chat/completions"
        assert request.headers["authorization"] == "Bearer sk-test"
        body = sse(["Le port ", "est 22 [1]."])
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    llm = OpenAICompatibleLLM(
        "http://127.0.0.1:9/v1", "mistral-small", "sk-test", http_client=client
    )
    assert list(llm.stream(MESSAGES, max_tokens=20, temperature=0.0)) == ["Le port ", "est 22 [1]."]
    assert seen[0]["stream"] is True and seen[0]["model"] == "mistral-small"
    assert seen[0]["max_tokens"] == 20 and seen[0]["messages"] == MESSAGES


def test_openai_compatible_wraps_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"message": "bad key"}})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    llm = OpenAICompatibleLLM("http://127.0.0.1:9/v1", "m", "bad", http_client=client)
    with pytest.raises(ModelError, match="CALANQUE_LLM_API_KEY"):
        list(llm.stream(MESSAGES))
    with pytest.raises(ModelError, match="base URL and a model"):
        OpenAICompatibleLLM("", "m")


def test_llamacpp_without_the_extra_says_how_to_install(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # as if the extra were not installed
    llm = LlamaCppLLM(model)
    assert llm.model == "tiny.gguf" and llm.name == "local"
    with pytest.raises(ModelError, match=r"calanque\[local\]"):
        list(llm.stream(MESSAGES))
    with pytest.raises(ModelError, match="does not exist"):
        LlamaCppLLM(tmp_path / "missing.gguf")
