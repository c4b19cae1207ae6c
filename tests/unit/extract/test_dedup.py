"""Near-duplicates by MinHash over word 3-shingles."""

from __future__ import annotations

import random

import pytest

from calanque.extract.dedup import NearDuplicates, signature, similarity

rng = random.Random(7)
VOCABULARY = [f"mot{i}" for i in range(2000)]


def _text(words: int = 400) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(words))


def test_signature_is_1024_bytes_and_deterministic() -> None:
    text = _text()
    assert len(signature(text)) == 1024
    assert signature(text) == signature(text)
    assert similarity(signature(text), signature(text)) == 1.0


def test_similarity_tracks_overlap() -> None:
    text = _text(400)
    words = text.split()
    words[200] = "changed"
    near = " ".join(words)
    assert similarity(signature(text), signature(near)) > 0.9
    assert similarity(signature(text), signature(_text(400))) < 0.1


def test_near_duplicates_index() -> None:
    index = NearDuplicates()
    original, other = _text(), _text()
    index.add(1, signature(original))
    index.add(2, signature(other))
    words = original.split()
    words[-1] = "Tail"
    assert index.find(signature(" ".join(words).upper())) == 1  # case and one word differ
    assert index.find(signature(_text())) is None
    index.remove(1)
    assert index.find(signature(original)) is None
    assert 2 in index and len(index) == 1


def test_re_adding_a_key_replaces_it() -> None:
    index = NearDuplicates()
    first, second = _text(), _text()
    index.add(5, signature(first))
    index.add(5, signature(second))
    assert index.find(signature(first)) is None
    assert index.find(signature(second)) == 5


def test_bad_signature_is_refused() -> None:
    with pytest.raises(ValueError, match="1024 bytes"):
        similarity(b"short", signature("a b c d"))
