"""Near-duplicate detection with MinHash (datasketch) over word 3-shingles.

Signatures are 128 permutations stored as bytes (1 KiB: 128 little-endian
uint64), so the catalog can keep them; :class:`NearDuplicates` is an LSH index
over them that answers "which stored document is this one a near copy of?"
(estimated Jaccard similarity >= 0.9).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from datasketch import MinHash

NUM_PERM = 128
SHINGLE_WORDS = 3
THRESHOLD = 0.9
_SEED = 1
_SCHEME = "affine32"  # datasketch >= 2.0; stored signatures depend on it
_WORDS = re.compile(r"\w+")


def shingles(text: str) -> set[bytes]:
    """Word 3-shingles of the lowercased text (the whole text when shorter)."""
    words = _WORDS.findall(text.lower())
    if len(words) <= SHINGLE_WORDS:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {
        " ".join(words[i : i + SHINGLE_WORDS]).encode("utf-8")
        for i in range(len(words) - SHINGLE_WORDS + 1)
    }


def _minhash(signature: bytes) -> MinHash:
    from datasketch import MinHash  # imported late: datasketch pulls in scipy (0.3 s)

    if len(signature) != NUM_PERM * 8:
        raise ValueError(f"a signature is {NUM_PERM * 8} bytes, got {len(signature)}")
    values = np.frombuffer(signature, dtype="<u8").astype(np.uint64)
    return MinHash(num_perm=NUM_PERM, seed=_SEED, hashvalues=values, scheme=_SCHEME)


def signature(text: str) -> bytes:
    """The MinHash signature of ``text`` as 1024 bytes."""
    from datasketch import MinHash

    minhash = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME)
    minhash.update_batch(list(shingles(text)))
    return minhash.hashvalues.astype("<u8").tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    return float(_minhash(a).jaccard(_minhash(b)))


class NearDuplicates:
    """An LSH index of signatures keyed by document id."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        from datasketch import MinHashLSH

        self._lsh: Any = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._signatures: dict[int, bytes] = {}

    def __len__(self) -> int:
        return len(self._signatures)

    def __contains__(self, key: object) -> bool:
        return key in self._signatures

    def add(self, key: int, sig: bytes) -> None:
        """Index ``sig`` under ``key`` (replacing what ``key`` had)."""
        if key in self._signatures:
            self.remove(key)
        self._lsh.insert(key, _minhash(sig))
        self._signatures[key] = sig

    def remove(self, key: int) -> None:
        """Forget ``key``; nothing happens when it is not indexed."""
        if self._signatures.pop(key, None) is not None:
            self._lsh.remove(key)

    def find(self, sig: bytes) -> int | None:
        """The indexed key most similar to ``sig`` at or above the threshold, else ``None``."""
        best: tuple[float, int] | None = None
        for key in self._lsh.query(_minhash(sig)):
            score = similarity(sig, self._signatures[key])
            if score >= self.threshold and (best is None or (score, -key) > (best[0], -best[1])):
                best = (score, key)
        return best[1] if best else None
