"""A scripted OpenAI-compatible chat model on 127.0.0.1, for e2e tests of generative writers.

``POST /v1/chat/completions`` answers with :meth:`ScriptedModel.reply` (override it), as one
JSON completion or as server-sent events, word by word, like a real model. Every request
(headers and body) is recorded in :attr:`ScriptedModel.requests`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ScriptedModel:
    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.requests: list[dict[str, Any]] = []
        model = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                headers = {k.lower(): v for k, v in self.headers.items()}
                model.requests.append({"headers": headers, "body": body})
                model.answer(self, body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def prompts(self) -> list[str]:
        return ["\n".join(m["content"] for m in r["body"]["messages"]) for r in self.requests]

    def reply(self, body: dict[str, Any]) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def answer(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        text = self.reply(body)
        if not body.get("stream"):
            payload = json.dumps(completion(text)).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()
        try:
            for piece in re.findall(r"\S+\s*", text):
                handler.wfile.write(b"data: " + json.dumps(chunk(piece)).encode() + b"\n\n")
                handler.wfile.flush()
                time.sleep(self.delay_s)
            handler.wfile.write(b"data: [DONE]\n\n")
        except OSError:  # the server was killed mid-stream
            pass


def is_rewrite_request(body: dict[str, Any]) -> bool:
    """The answer engine's follow-up rewriting call (not the answer itself)."""
    return "standalone search query" in body["messages"][0]["content"]


def sources(body: dict[str, Any]) -> dict[int, str]:
    """The numbered sources of the answer prompt: ``{n: text}``."""
    prompt = "\n".join(m["content"] for m in body["messages"])
    found = re.findall(r'<source n="(\d+)"[^>]*>\n(.*?)\n</source>', prompt, re.DOTALL)
    return {int(n): text for n, text in found}


def chunk(text: str) -> dict[str, Any]:
    return {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "x",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
    }


def completion(text: str) -> dict[str, Any]:
    return {
        "id": "c",
        "object": "chat.completion",
        "created": 0,
        "model": "x",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
    }
