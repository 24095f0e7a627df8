"""Scenario discovery: PRIM (EMA Workbench) and CART find a box planted in synthetic worlds.

The worlds are 600 uniform points of three factors; the condition holds inside
a > 0.6 and b < 0.3 (c plays no part), with 3 % of the labels flipped as noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.discovery import Condition, cart_box, describe_limits, parse_condition, prim_box
from sim.errors import InputError

pytest.importorskip("ema_workbench")
pytest.importorskip("sklearn")

COND = Condition("problem_resolution_days_mean", "worse")


@pytest.fixture(scope="module")
def planted():
    rng = np.random.default_rng(11)
    x = pd.DataFrame(rng.uniform(size=(600, 3)), columns=["a", "b", "c"])
    y = ((x["a"] > 0.6) & (x["b"] < 0.3)).to_numpy()
    flip = rng.uniform(size=y.size) < 0.03
    return x, y ^ flip, y


# PRIM peels (and pastes) 5 % of the points in the box per step, so an edge it finds can miss
# the true one by about one step: 5 % of the box's points along that axis, < 0.05 of the range
# here; CART splits half-way between neighbouring points, within 0.05 likewise given the noise.
EDGE = 0.05


@pytest.mark.parametrize("finder", [prim_box, cart_box])
def test_finds_the_planted_box(planted, finder):
    x, y, _truth = planted
    box = finder(COND, x, y)
    assert box is not None
    assert set(box.limits) == {"a", "b"}                   # c is left free
    assert abs(box.limits["a"][0] - 0.6) < EDGE and box.limits["a"][1] >= 0.99
    assert abs(box.limits["b"][1] - 0.3) < EDGE and box.limits["b"][0] <= 0.01
    # counted on the worlds: density and coverage as defined
    inside = ((x["a"] >= box.limits["a"][0]) & (x["a"] <= box.limits["a"][1])
              & (x["b"] >= box.limits["b"][0]) & (x["b"] <= box.limits["b"][1])).to_numpy()
    assert box.density == pytest.approx(y[inside].mean())
    assert box.coverage == pytest.approx(y[inside].sum() / y.sum())
    assert box.density > 0.85 and box.coverage > 0.8
    assert "a >= 0.6" in box.sentence.replace("0.59", "0.6").replace("0.61", "0.6") or \
        "a >= " in box.sentence
    assert "b <= " in box.sentence and f"covering {box.coverage:.0%}" in box.sentence


def test_nothing_to_find():
    x = pd.DataFrame({"a": np.linspace(0, 1, 50)})
    assert prim_box(COND, x, np.zeros(50, bool)) is None
    assert cart_box(COND, x, np.ones(50, bool)) is None


def test_describe_limits_one_and_two_sided():
    full = {"a": (0.0, 1.0), "b": (0.0, 1.0), "c": (0.0, 1.0)}
    text = describe_limits({"a": [0.6, 1.0], "b": [0.0, 0.3], "c": [0.2, 0.4]}, full)
    assert text == "a >= 0.6 and b <= 0.3 and 0.2 <= c <= 0.4"


@pytest.mark.parametrize("text, words", [
    ("problem_resolution_days_man worse", "did you mean 'problem_resolution_days_mean'"),
    ("admin_hours_share >> 1", "cannot read"),
    ("admin_hours_share", "cannot read"),
    ("admin_hours_share < nan", "cannot read"),
])
def test_bad_conditions(text, words):
    with pytest.raises(InputError, match=words):
        parse_condition(text)


def test_conditions_read():
    assert parse_condition("admin_hours_share > -0.15") == Condition("admin_hours_share", ">", -0.15)
    assert parse_condition("utilization  not   better").op == "not better"
