"""Near-duplicate detection with MinHash over word 3-shingles (numpy), indexed by LSH banding.

Signatures are 128 permutations stored as bytes (1 KiB: 128 little-endian
uint64), so the catalog can keep them; :class:`NearDuplicates` is an LSH index
over them that answers "which stored document is this one a near copy of?"
(estimated Jaccard similarity >= 0.9).
"""

from __future__ import annotations

import re
import zlib

import numpy as np

NUM_PERM = 128
SHINGLE_WORDS = 3
THRESHOLD = 0.9
_SEED = 1
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


_MERSENNE = np.uint64((1 << 61) - 1)
_RNG = np.random.default_rng(_SEED)
_A = _RNG.integers(1, 1 << 31, NUM_PERM, dtype=np.uint64)
_B = _RNG.integers(0, 1 << 31, NUM_PERM, dtype=np.uint64)


def signature(text: str) -> bytes:
    """The MinHash signature of ``text`` as 1024 bytes (128 little-endian uint64).

    Computed with numpy in one pass over all shingles (``(a*h + b) mod p`` per permutation,
    h a CRC-32 of the shingle): ~15x faster than hashing shingle by shingle. Values stay
    below 2**32.
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


BANDS, ROWS = 16, 8  # 16 x 8 = 128: a 0.9-similar pair shares a band with p > 0.9999


class NearDuplicates:
    """An LSH index of signatures keyed by document id (banding: 16 bands of 8 minima).

    Two documents become candidates when one whole band of their signatures agrees; the
    candidates are then compared on all 128 minima. Written here rather than taken from
    datasketch: its import pulls in scipy (1.5 s at every crawl start, measured by
    bench/crawl.py) for these thirty lines.
    """

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self._bands: list[dict[bytes, set[int]]] = [{} for _ in range(BANDS)]
        self._signatures: dict[int, bytes] = {}

    def __len__(self) -> int:
        return len(self._signatures)

    def __contains__(self, key: object) -> bool:
        return key in self._signatures

    @staticmethod
    def _band_keys(sig: bytes) -> list[bytes]:
        _values(sig)  # checks the length
        width = ROWS * 8
        return [sig[i * width : (i + 1) * width] for i in range(BANDS)]

    def add(self, key: int, sig: bytes) -> None:
        """Index ``sig`` under ``key`` (replacing what ``key`` had)."""
        if key in self._signatures:
            self.remove(key)
        for band, band_key in zip(self._bands, self._band_keys(sig), strict=True):
            band.setdefault(band_key, set()).add(key)
        self._signatures[key] = sig

    def remove(self, key: int) -> None:
        """Forget ``key``; nothing happens when it is not indexed."""
        sig = self._signatures.pop(key, None)
        if sig is None:
            return
        for band, band_key in zip(self._bands, self._band_keys(sig), strict=True):
            members = band.get(band_key)
            if members is not None:
                members.discard(key)
                if not members:
                    del band[band_key]

    def find(self, sig: bytes) -> int | None:
        """The indexed key most similar to ``sig`` at or above the threshold, else ``None``."""
        candidates: set[int] = set()
        for band, band_key in zip(self._bands, self._band_keys(sig), strict=True):
            candidates |= band.get(band_key, set())
        best: tuple[float, int] | None = None
        for key in candidates:
            score = similarity(sig, self._signatures[key])
            if score >= self.threshold and (best is None or (score, -key) > (best[0], -best[1])):
                best = (score, key)
        return best[1] if best else None
