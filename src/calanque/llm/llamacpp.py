"""``LlamaCppLLM``: a local GGUF model through llama-cpp-python (``calanque[local]``).

The model runs in a child process (:mod:`calanque.llm._llama_worker`), started on first
use and kept for the next questions: llama.cpp cannot load a vocabulary in a process
that has loaded usearch (``std::bad_cast``: two C++ runtimes in one address space), and
a child also keeps a crashing model from taking Calanque down with it.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from calanque.errors import ModelError
from calanque.llm.base import DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, Message

_INSTALL = (
    "the local writer needs llama-cpp-python: install it with `pip install 'calanque[local]'` "
    "(it builds from source, 3-7 minutes on 2 cores), or use the extractive or openai writer"
)


def stop_process(process: subprocess.Popen[Any]) -> None:
    """Terminate ``process`` (then kill it if it does not stop within 10 s)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class LlamaCppLLM:
    """Runs a GGUF file in a child process. The model is loaded on first use."""

    name = "local"

    def __init__(self, model_path: str | Path, *, n_ctx: int = 4096, n_threads: int = 0) -> None:
        path = Path(model_path).expanduser()
        if not str(model_path) or not path.is_file():
            raise ModelError(
                f"the local model file {str(model_path)!r} does not exist: set "
                "answer.local_model_path to a .gguf file"
            )
        self.model_path = path
        self.model = path.name
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()  # one generation at a time per loaded model

    def _worker(self) -> subprocess.Popen[str]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        if importlib.util.find_spec("llama_cpp") is None:
            raise ModelError(_INSTALL)
        command = [
            sys.executable, "-m", "calanque.llm._llama_worker",
            str(self.model_path), str(self.n_ctx), str(self.n_threads),
        ]  # fmt: skip
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        weakref.finalize(self, stop_process, process)
        first = self._read(process)
        if not first.get("ready"):
            stop_process(process)
            reason = first.get("error", "the model process exited")
            if "not installed" in reason:
                raise ModelError(_INSTALL)
            raise ModelError(f"llama.cpp could not load {self.model_path}: {reason}")
        self._process = process
        return process

    def _read(self, process: subprocess.Popen[str]) -> dict[str, Any]:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            return {"error": f"the model process exited (status {process.wait()})"}
        message: dict[str, Any] = json.loads(line)
        return message

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = DEFAULT_TEMPERATURE,
    ) -> Iterator[str]:
        with self._lock:
            process = self._worker()
            assert process.stdin is not None
            request = {"messages": messages, "max_tokens": max_tokens, "temperature": temperature}
            try:
                process.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
                process.stdin.flush()
            except OSError as exc:
                raise ModelError(f"the local model process is gone: {exc}") from exc
            finished = False
            try:
                while True:
                    message = self._read(process)
                    if "delta" in message:
                        yield str(message["delta"])
                    elif message.get("done"):
                        finished = True
                        return
                    else:
                        finished = True
                        raise ModelError(f"llama.cpp failed while generating: {message['error']}")
            finally:
                if not finished:  # the reader stopped early: let the reply run out
                    self._drain(process)

    def _drain(self, process: subprocess.Popen[str]) -> None:
        while True:
            message = self._read(process)
            if "delta" not in message:
                return

    def close(self) -> None:
        """Stop the model process (a later question starts it again)."""
        if self._process is not None:
            stop_process(self._process)
            self._process = None
