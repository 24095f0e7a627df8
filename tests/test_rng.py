"""The named streams: the fast uint32-array entropy path draws exactly what the documented
``SeedSequence([seed, replication, *name_words(name)])`` draws, for small and large seeds."""

from __future__ import annotations

import numpy as np
import pytest

from sim.rng import Streams, name_words, pcg64_seeds


@pytest.mark.parametrize("seed,rep", [(0, 0), (20240101, 7), (2**32 - 1, 3), (2**32 + 5, 1),
                                      (3, 2**40)])
@pytest.mark.parametrize("name", ["arrivals:a", "effort:x:0", "volunteers:member:12", "é"])
def test_stream_equals_documented_seed_sequence(seed: int, rep: int, name: str) -> None:
    ref = np.random.Generator(np.random.PCG64(
        np.random.SeedSequence([seed, rep, *name_words(name)])))
    got = Streams(seed, rep)(name)
    # bit-exact: the same 64-bit words, not merely close floats
    assert got.integers(0, 2**63, 16).tolist() == ref.integers(0, 2**63, 16).tolist()


def test_streams_are_distinct_and_cached() -> None:
    s = Streams(1, 0)
    assert s("a") is s("a")
    assert s("a").random() != Streams(1, 0)("b").random()
    assert Streams(1, 0)("a").random() != Streams(1, 1)("a").random()


@pytest.mark.parametrize("seed,rep", [(0, 0), (20240101, 7), (2**32 - 1, 2**32 - 1), (5, 123456)])
def test_batched_seeds_equal_seed_sequence(seed: int, rep: int) -> None:
    """The vectorised SeedSequence hashing (Streams.prepare) gives numpy's words for each name."""
    names = ["arrivals:a", "effort:x:0", "volunteers:member:12", "é", ""] + [f"n{i}" for i in range(40)]
    got = pcg64_seeds(seed, rep, names)
    for name, row in zip(names, got, strict=True):
        ref = np.random.SeedSequence([seed, rep, *name_words(name)]).generate_state(4, np.uint64)
        assert row.tolist() == ref.tolist(), name


@pytest.mark.parametrize("seed,rep", [(1, 2), (2**32 + 5, 1)])
def test_prepared_streams_draw_the_same(seed: int, rep: int) -> None:
    """Prepared or not (and with names prepared but never used), a stream draws the same."""
    s = Streams(seed, rep)
    s("early")
    s.prepare(["a", "b", "early", "a", "unused"])
    for name in ("a", "early", "b", "c"):
        assert s(name).integers(0, 2**63, 8).tolist() == \
            Streams(seed, rep)(name).integers(0, 2**63, 8).tolist()
    assert s.names == ("early", "a", "b", "c")
