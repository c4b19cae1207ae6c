"""Near-duplicate detection with MinHash (datasketch) over word 3-shingles.

Signatures are 128 permutations stored as bytes (1 KiB: 128 little-endian
uint64), so the catalog can keep them; :class:`NearDuplicates` is an LSH index
over them that answers "which stored document is this one a near copy of?"
(estimated Jaccard similarity >= 0.9).
"""

from __future__ import annotations

import re
import zlib
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


_MERSENNE = np.uint64((1 << 61) - 1)
_RNG = np.random.default_rng(_SEED)
_A = _RNG.integers(1, 1 << 31, NUM_PERM, dtype=np.uint64)
_B = _RNG.integers(0, 1 << 31, NUM_PERM, dtype=np.uint64)


def signature(text: str) -> bytes:
    """The MinHash signature of ``text`` as 1024 bytes (128 little-endian uint64).

    Computed with numpy in one pass over all shingles (``(a*h + b) mod p`` per permutation,
    h a CRC-32 of the shingle): ~15x faster than hashing shingle by shingle. Values stay
    below 2**32 as in datasketch's ``affine32`` scheme, whose LSH indexes them.
    """
    grams = shingles(text)
    if not grams:
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype="<u8").tobytes()
    hashes = np.fromiter((zlib.crc32(g) for g in grams), dtype=np.uint64, count=len(grams))
    # a < 2**31 and h < 2**32: a*h + b < 2**64, no overflow before the modulo.
    values = (np.outer(hashes, _A) + _B) % _MERSENNE & np.uint64(0xFFFFFFFF)
    return values.min(axis=0).astype("<u8").tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity: the share of permutations whose minimum agrees."""
    return float(np.mean(_values(a) == _values(b)))


def _values(signature: bytes) -> np.ndarray:
    if len(signature) != NUM_PERM * 8:
        raise ValueError(f"a signature is {NUM_PERM * 8} bytes, got {len(signature)}")
    return np.frombuffer(signature, dtype="<u8")


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
