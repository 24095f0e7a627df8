"""Named random streams for common random numbers.

Every random source in the model (each task type's arrivals, each effort, routing,
volunteers...) draws from its own ``numpy.random.Generator``, derived from
``SeedSequence([seed, replication, *hash(name)])``. Because a stream is keyed by its name,
adding or removing a task type does not shift any other stream, and replication r of two
scenarios with the same seed draws the same numbers for the sources they share: common
random numbers, which is what makes paired before/after comparisons sharp.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

_WORD = 2**32


def name_words(name: str) -> list[int]:
    """Four 32-bit words of the SHA-256 of ``name``: the part of a seed that names a stream."""
    return list(_name_words(name))


@lru_cache(maxsize=4096)
def _name_words(name: str) -> tuple[int, ...]:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))


class Streams:
    """Factory of independent named generators for one (seed, replication)."""

    __slots__ = ("_cache", "_prefix", "replication", "seed")

    def __init__(self, seed: int, replication: int) -> None:
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be >= 0")
        self.seed = int(seed)
        self.replication = int(replication)
        self._cache: dict[str, np.random.Generator] = {}
        # The entropy as one uint32 array: SeedSequence reads a list of Python ints one
        # coercion at a time (about 15 us a stream) but a uint32 array at once (about 6 us),
        # and both give the same words when seed and replication fit in 32 bits (otherwise
        # the list, which splits a large int into several words, is kept).
        small = self.seed < _WORD and self.replication < _WORD
        self._prefix = [self.seed, self.replication] if small else None

    def __call__(self, name: str) -> np.random.Generator:
        """The generator for source ``name`` (the same object on repeated calls)."""
        gen = self._cache.get(name)
        if gen is None:
            if self._prefix is not None:
                entropy = np.array(self._prefix + list(_name_words(name)), dtype=np.uint32)
            else:
                entropy = [self.seed, self.replication, *_name_words(name)]
            ss = np.random.SeedSequence(entropy)
            gen = np.random.Generator(np.random.PCG64(ss))
            self._cache[name] = gen
        return gen
