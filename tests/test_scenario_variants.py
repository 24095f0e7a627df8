"""Building scenario variants fast gives exactly what building them from scratch gives.

``apply_overrides`` shares the scenario's frozen base, and the loader caches what depends only
on content (parsed TOML text, a relative lever's validated baseline, pairs of overlapping
paths, each note's unresolved citation keys, each path's prefixes); a ``[sources]`` key with
``*`` is first looked for along the data. These tests build many random variants both through
that fast path and from scratch (every cache cleared, the file read again, the overrides given
as ``--set`` strings) and compare hashes, resolved data and error messages.
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.scenario import apply_overrides, citations, content, files, levers, load_scenario, validate
from sim.scenario.content import content_paths, format_path, has_match, split_path
from sim.scenario.datapaths import plain_key

FILES = ("scenarios/bozhou_after.toml", "scenarios/bozhou_levers.toml",
         "scenarios/bozhou_after_dated.toml")
# value overrides mixed into the lever toggles: valid ones, and invalid ones (unknown key,
# unknown task, wrong type, out of range) whose one-line error must not change
OTHERS = (("office.workers", 7), ("office.workers", 0), ("office.workers", "x"),
          ("office.wrokers", 3), ("tasks.nope.copies", 2), ("levers.nope.enabled", True),
          ("tasks.certificate.copies", 2), ("scenario.days", 30), ("sources.foo", "a"),
          # paths relative levers scale: the baseline they read moves
          ("tasks.certificate.arrivals.per_year", 500), ("tasks.ledger_upkeep.effort_factor", 2.0),
          ("tasks.meeting_department.arrivals.per_week", 3))


def _clear_caches() -> None:
    for fn in (files._parsed, levers._validated, levers._overlap, content._prefixes,
               citations._unresolved, validate._param):
        fn.cache_clear()


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else (
        f'"{value}"' if isinstance(value, str) else str(value))


def _outcome(build):
    try:
        sc = build()
    except ScenarioError as exc:
        return ("error", str(exc))
    epochs = tuple((e.start_day, e.scenario.hash, repr(e.scenario.resolved)) for e in sc.epochs)
    # repr as well as ==: 1, 1.0 and True are equal but must not be swapped for each other
    return (sc.hash, sc.resolved, repr(sc.resolved), repr(sc.base), sc.overrides, epochs)


_BASES = {f: load_scenario(f) for f in FILES}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FILES), st.randoms(use_true_random=False),
       st.lists(st.sampled_from(OTHERS), max_size=3))
def test_lever_variants_are_the_same_as_built_from_scratch(file, rnd, others):
    base = _BASES[file]
    pairs = [(f"levers.{lv.name}.enabled", rnd.random() < 0.5)
             for lv in base.levers if rnd.random() < 0.8]
    pairs += others
    fast = _outcome(lambda: apply_overrides(base, pairs))
    again = _outcome(lambda: apply_overrides(base, pairs))  # now with warm caches

    _clear_caches()
    scratch = _outcome(lambda: load_scenario(file, [f"{k}={_text(v)}" for k, v in pairs]))
    assert fast == scratch
    assert again == scratch
    if fast[0] == "error":
        assert "\n" not in fast[1]


def test_a_lever_date_outside_a_shortened_horizon_blames_the_file_that_wrote_the_date():
    # found by the test above: the dated file sets opinion_rights.from = 2019-07-01 on a lever
    # that bozhou_levers.toml defines; a 30-day horizon puts the date outside it
    file = "scenarios/bozhou_after_dated.toml"
    fast = _outcome(lambda: apply_overrides(_BASES[file], [("scenario.days", 30)]))
    _clear_caches()
    scratch = _outcome(lambda: load_scenario(file, ["scenario.days=30"]))
    assert fast == scratch
    assert fast[0] == "error"
    assert fast[1].startswith(f"{file}: levers.opinion_rights.from: 2019-07-01 is outside")


def test_invalid_overrides_give_the_same_one_line_error():
    base = _BASES[FILES[0]]
    for key, value in (("office.wrokers", 3), ("levers.nope.enabled", True),
                       ("tasks.nope.copies", 2), ("office.workers", -1)):
        with pytest.raises(ScenarioError) as fast:
            apply_overrides(base, {key: value})
        _clear_caches()
        with pytest.raises(ScenarioError) as scratch:
            load_scenario(FILES[0], [f"{key}={value}"])
        assert str(fast.value) == str(scratch.value)
        assert "\n" not in str(fast.value) and key in str(fast.value)


def test_city_communities_are_the_same_with_warm_and_cleared_caches():
    from sim.city.loader import load_city

    _clear_caches()
    cold = load_city("scenarios/bozhou_city.toml")
    warm = load_city("scenarios/bozhou_city.toml")
    assert len(cold.communities) > 1
    assert [c.scenario.hash for c in warm.communities] == [c.scenario.hash
                                                           for c in cold.communities]
    assert [repr(c.scenario.resolved) for c in warm.communities] == [
        repr(c.scenario.resolved) for c in cold.communities]


def test_has_match_finds_only_paths_that_content_paths_lists():
    """``has_match`` may miss (then the full list is checked) but never claims a match."""
    rng = random.Random(3)
    found = 0
    for file in FILES:
        resolved = _BASES[file].resolved
        known = content_paths(resolved)
        for _ in range(1500):
            tokens = split_path(rng.choice(known))
            tokens = ["*" if rng.random() < 0.4 else t for t in tokens]
            if rng.random() < 0.2:
                tokens.append(rng.choice(["x", "source", 0, "id", "*"]))
            pattern = format_path(tokens)
            if "*" not in pattern:
                continue
            fast = has_match(resolved, pattern)
            exact = validate._matches(pattern, known)
            assert not fast or exact, pattern
            found += fast
    assert found > 100  # it does find matches (else the fast path would never be taken)


def test_plain_key_tells_apart_what_validation_tells_apart():
    assert plain_key({"a": [1, 2.5]}) == plain_key({"a": [1, 2.5]})
    keys = [plain_key({"a": v}) for v in (1, 1.0, True, "1", [1], (1,), None, -0.0, 0.0,
                                          dt.date(2020, 1, 1), "2020-01-01")]
    assert None not in keys and len(set(keys)) == len(keys)
    assert plain_key({"a": 1, "b": 2}) != plain_key({"b": 2, "a": 1})  # order matters
    # not plain data: no key (validated every time)
    assert plain_key({"a": np.int64(1)}) is None
    assert plain_key({"a": np.float64(1.0)}) is None
    assert plain_key({"a": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}) is None
    assert plain_key({"a": object()}) is None
