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

import numpy as np


def name_words(name: str) -> list[int]:
    """Four 32-bit words of the SHA-256 of ``name``: the part of a seed that names a stream."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]


class Streams:
    """Factory of independent named generators for one (seed, replication)."""

    __slots__ = ("_cache", "replication", "seed")

    def __init__(self, seed: int, replication: int) -> None:
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be >= 0")
        self.seed = int(seed)
        self.replication = int(replication)
        self._cache: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        """The generator for source ``name`` (the same object on repeated calls)."""
        gen = self._cache.get(name)
        if gen is None:
            ss = np.random.SeedSequence([self.seed, self.replication, *name_words(name)])
            gen = np.random.Generator(np.random.PCG64(ss))
            self._cache[name] = gen
        return gen
