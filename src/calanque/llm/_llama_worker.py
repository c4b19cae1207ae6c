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


def has_amx(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Does this CPU have Intel AMX (Sapphire Rapids and later)?"""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as handle:
            return any(line.startswith("flags") and " amx_int8" in line for line in handle)
    except OSError:
        return False


def avoid_amx(llama_cpp: Any, cpuinfo: str = "/proc/cpuinfo") -> bool:
    """On a CPU with AMX, load models without llama.cpp's extra buffer types.

    llama.cpp repacks weights for AMX there, and its AMX matrix product crashes the
    process (SIGSEGV in ``ggml_backend_amx_mul_mat``, ggml-org/llama.cpp#20824): a 135M
    model died on its first answer on a Xeon with ``amx_int8``. Without extra buffer types
    the plain CPU kernels run (AVX-512 there). Returns whether the loader was changed.
    """
    low = getattr(llama_cpp, "llama_cpp", llama_cpp)  # the ctypes module Llama calls
    default = getattr(low, "llama_model_default_params", None)
    if default is None or not has_amx(cpuinfo) or getattr(default, "_calanque_no_amx", False):
        return False
    if "use_extra_bufts" not in {name for name, _ in default().__class__._fields_}:
        return False

    def without_extra_buffers() -> Any:
        params = default()
        params.use_extra_bufts = False
        return params

    without_extra_buffers._calanque_no_amx = True  # type: ignore[attr-defined]
    low.llama_model_default_params = without_extra_buffers
    return True


def serve(model_path: str, n_ctx: int, n_threads: int, out: IO[str]) -> int:
    try:
        import llama_cpp

        avoid_amx(llama_cpp)
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
