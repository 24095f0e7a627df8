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
from numpy.random.bit_generator import ISeedSequence

_WORD = 2**32

# numpy's SeedSequence constants (numpy/random/bit_generator.pyx), for pcg64_seeds; should numpy
# ever change its hashing, tests/test_rng.py, which compares with SeedSequence itself, fails
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_POOL = 4


def name_words(name: str) -> list[int]:
    """Four 32-bit words of the SHA-256 of ``name``: the part of a seed that names a stream."""
    return list(_name_words(name))


@lru_cache(maxsize=4096)
def _name_words(name: str) -> tuple[int, ...]:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))


def pcg64_seeds(seed: int, replication: int, names: list[str]) -> np.ndarray:
    """What ``SeedSequence([seed, replication, *name_words(name)]).generate_state(4, np.uint64)``
    gives for each of ``names`` (rows of a (len(names), 4) uint64 array; seed and replication
    below 2**32): numpy's SeedSequence hashing, vectorised over the names.

    A replication creates about 130 named streams; numpy builds each SeedSequence and its state
    one at a time (about 20 us a stream, half of it in an ``np.errstate`` wrapper), while the
    hashing is a fixed sequence of 32-bit operations whose constants do not depend on the data,
    so it runs over all the names at once in a few hundred array operations.
    tests/test_rng.py checks the rows against numpy's own SeedSequence.
    """
    u32 = np.uint32
    k = len(names)
    entropy = np.empty((6, k), dtype=u32)
    entropy[0] = seed
    entropy[1] = replication
    entropy[2:] = np.asarray([_name_words(n) for n in names], dtype=u32).reshape(k, 4).T
    hash_const = _INIT_A

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal hash_const
        value = value ^ u32(hash_const)
        hash_const = (hash_const * _MULT_A) % _WORD
        value = value * u32(hash_const)      # (uint32 arrays wrap around, as in C)
        return value ^ (value >> u32(16))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result = u32(_MIX_L) * x - u32(_MIX_R) * y
        return result ^ (result >> u32(16))

    # SeedSequence.mix_entropy with a pool of 4 words and 6 words of entropy
    pool = [hashmix(entropy[i]) for i in range(_POOL)]
    for i_src in range(_POOL):
        for i_dst in range(_POOL):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hashmix(pool[i_src]))
    for i_src in range(_POOL, 6):
        for i_dst in range(_POOL):
            pool[i_dst] = mix(pool[i_dst], hashmix(entropy[i_src]))
    # SeedSequence.generate_state(4, np.uint64): 8 words cycling over the pool, read as
    # little-endian pairs
    hash_const = _INIT_B
    state = np.empty((k, 8), dtype=u32)
    for i in range(8):
        value = pool[i % _POOL] ^ u32(hash_const)
        hash_const = (hash_const * _MULT_B) % _WORD
        value = value * u32(hash_const)
        state[:, i] = value ^ (value >> u32(16))
    return state.astype("<u4").view("<u8").astype(np.uint64)


class _Seeded(ISeedSequence):
    """A seed sequence whose PCG64 state words were computed already (:func:`pcg64_seeds`):
    numpy's bit generators accept any :class:`~numpy.random.bit_generator.ISeedSequence`."""

    __slots__ = ("words",)

    def __init__(self, words: np.ndarray) -> None:
        self.words = words

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        if n_words != 4 or np.dtype(dtype) != np.uint64:   # (only PCG64's request is known)
            raise ValueError("precomputed seed words are for PCG64 only")
        return self.words


class Streams:
    """Factory of independent named generators for one (seed, replication)."""

    __slots__ = ("_cache", "_prefix", "_seeded", "replication", "seed")

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
        self._seeded: dict[str, np.ndarray] = {}   # name -> PCG64 seed words (see prepare)

    @property
    def names(self) -> tuple[str, ...]:
        """The names of the streams created so far, in order."""
        return tuple(self._cache)

    def prepare(self, names) -> None:
        """Compute the seeds of the streams ``names`` at once (:func:`pcg64_seeds`), for the
        generators to be made from when they are asked for: the same generators, made faster.
        A name never asked for costs nothing more; one not prepared is seeded on its own."""
        todo = [n for n in dict.fromkeys(names) if n not in self._cache and n not in self._seeded]
        if todo and self._prefix is not None:
            self._seeded.update(zip(todo, pcg64_seeds(self.seed, self.replication, todo), strict=True))

    def __call__(self, name: str) -> np.random.Generator:
        """The generator for source ``name`` (the same object on repeated calls)."""
        gen = self._cache.get(name)
        if gen is None:
            words = self._seeded.pop(name, None)
            if words is not None:
                seq = _Seeded(words)
            elif self._prefix is not None:
                seq = np.random.SeedSequence(np.array(self._prefix + list(_name_words(name)),
                                                      dtype=np.uint32))
            else:
                seq = np.random.SeedSequence([self.seed, self.replication, *_name_words(name)])
            gen = np.random.Generator(np.random.PCG64(seq))
            self._cache[name] = gen
        return gen
