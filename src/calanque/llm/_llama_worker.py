"""The child process that runs a GGUF model for :class:`~calanque.llm.llamacpp.LlamaCppLLM`.

Why a process of its own: llama.cpp cannot load a model's vocabulary in a process that
has loaded usearch (the index's vector library): ``std::bad_cast`` from two C++ runtimes
in one address space, whatever the import order. This interpreter imports nothing but
llama-cpp-python.

Protocol, one JSON object per line. The parent writes requests on stdin:
``{"messages": [...], "max_tokens": n, "temperature": t}``. The child answers on its
protocol stream with ``{"ready": true}`` once the model is loaded (or
``{"error": "..."}`` and exits), then for each request ``{"delta": "..."}`` lines and a
final ``{"done": true}`` (or ``{"error": "..."}``). Anything llama.cpp prints goes to
stderr: the protocol stream is a private copy of the original stdout.

    python -m calanque.llm._llama_worker MODEL.gguf N_CTX N_THREADS
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO, Any


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message, ensure_ascii=False) + "\n")
    out.flush()


def serve(model_path: str, n_ctx: int, n_threads: int, out: IO[str]) -> int:
    try:
        import llama_cpp

        llama: Any = llama_cpp.Llama(
            model_path=model_path,
            n_ctx=n_ctx,
            n_threads=n_threads or None,
            verbose=False,
        )
    except ImportError:
        _send(out, {"error": "llama-cpp-python is not installed"})
        return 1
    except (ValueError, RuntimeError, OSError) as exc:
        _send(out, {"error": str(exc)})
        return 1
    _send(out, {"ready": True})
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            chunks = llama.create_chat_completion(
                messages=request["messages"],
                max_tokens=int(request["max_tokens"]),
                temperature=float(request["temperature"]),
                stream=True,
            )
            for chunk in chunks:
                delta = chunk["choices"][0].get("delta", {}).get("content")
                if delta:
                    _send(out, {"delta": delta})
            _send(out, {"done": True})
        except (ValueError, RuntimeError, KeyError, TypeError) as exc:
            _send(out, {"error": str(exc)})
    return 0


def main() -> int:
    model_path, n_ctx, n_threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    # The protocol gets a private copy of stdout; fd 1 (C-level prints) goes to stderr.
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    return serve(model_path, n_ctx, n_threads, protocol)


if __name__ == "__main__":
    raise SystemExit(main())
