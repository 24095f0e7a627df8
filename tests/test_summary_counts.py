"""``summary._count_up_to`` (the daily open-task and queue counts) equals the sorted-search
form it replaced, including ties on a day end, NaN (never happened), inf and empty input."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine.summary import _count_up_to

values = st.lists(st.one_of(st.floats(-48.0, 500.0), st.sampled_from([0.0, 24.0, 48.0, 72.0]),
                            st.just(np.nan), st.just(np.inf)), max_size=200)


@settings(max_examples=200, deadline=None)
@given(values, st.integers(0, 3), st.integers(1, 20))
def test_count_up_to_equals_sorted_search(xs: list[float], d0: int, nd: int) -> None:
    x = np.asarray(xs, dtype=float)
    ends = np.arange(d0 + 1, d0 + nd + 1) * 24.0
    ref = np.searchsorted(np.sort(np.where(np.isnan(x), np.inf, x)), ends, side="right")
    assert _count_up_to(x, ends).tolist() == ref.tolist()
    xs_sorted = np.sort(x)      # (the in-order shortcut, NaN last)
    assert _count_up_to(xs_sorted, ends).tolist() == ref.tolist()
    finite = np.sort(x[~np.isnan(x)])
    ref_f = np.searchsorted(finite, ends, side="right")
    assert _count_up_to(finite, ends).tolist() == ref_f.tolist()
