"""On a CPU with AMX, local models load without llama.cpp's extra buffer types (its AMX
kernels crash the process: ggml-org/llama.cpp#20824); elsewhere nothing changes."""

from __future__ import annotations

import ctypes
from pathlib import Path
from types import SimpleNamespace

from calanque.llm._llama_worker import avoid_amx, has_amx


class _Params(ctypes.Structure):
    _fields_ = [("n_gpu_layers", ctypes.c_int32), ("use_extra_bufts", ctypes.c_bool)]


def _library() -> SimpleNamespace:
    def defaults() -> _Params:
        return _Params(0, True)

    return SimpleNamespace(llama_cpp=SimpleNamespace(llama_model_default_params=defaults))


def _cpuinfo(tmp_path: Path, flags: str) -> str:
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nflags\t\t: fpu sse2 avx2 {flags}\n", encoding="utf-8")
    return str(path)


def test_amx_cpus_load_models_without_extra_buffer_types(tmp_path: Path) -> None:
    library = _library()
    cpuinfo = _cpuinfo(tmp_path, "avx512f amx_tile amx_int8 amx_bf16")
    assert has_amx(cpuinfo)
    assert avoid_amx(library, cpuinfo)
    assert library.llama_cpp.llama_model_default_params().use_extra_bufts is False
    assert not avoid_amx(library, cpuinfo)  # once is enough


def test_other_cpus_keep_llama_cpp_defaults(tmp_path: Path) -> None:
    library = _library()
    cpuinfo = _cpuinfo(tmp_path, "avx512f avx512_vnni")
    assert not has_amx(cpuinfo) and not has_amx(str(tmp_path / "missing"))
    assert not avoid_amx(library, cpuinfo)
    assert library.llama_cpp.llama_model_default_params().use_extra_bufts is True
