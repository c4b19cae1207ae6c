"""llama-cpp-python's OpenAI-compatible server, started so that it also runs on AMX CPUs.

    python -m calanque.llm.llama_server --model MODEL.gguf --host 127.0.0.1 --port 8080

Takes the arguments of ``python -m llama_cpp.server``. On a CPU with Intel AMX, llama.cpp's
AMX kernels crash the server on its first answer; this starts it with models loaded
without them (:func:`calanque.llm._llama_worker.avoid_amx`), elsewhere exactly as
llama-cpp-python would.
"""

from __future__ import annotations

import runpy


def main() -> None:
    import llama_cpp

    from calanque.llm._llama_worker import avoid_amx

    avoid_amx(llama_cpp)
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
