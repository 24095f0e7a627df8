"""The shared number formatting (:mod:`sim.formatting`) and the text catalogue (:mod:`sim.text`)."""

from __future__ import annotations

import math

import pytest

from sim.formatting import MINUS, interval, number, significant


# --------------------------------------------------------------------------- formatting
@pytest.mark.parametrize("x, d, sign, out", [
    (1234.5678, 1, False, "1,234.6"),
    (-0.004, 2, False, "0.00"),          # rounds to zero: no "-0.00"
    (-0.004, 2, True, "+0.00"),
    (2.5, 0, True, "+2"),                # round half to even, as Python's round
    (-12.25, 1, True, "-12.2"),
])
def test_number(x, d, sign, out):
    assert number(x, d, sign) == out


def test_number_not_finite_and_minus():
    for x in (None, math.nan, math.inf, "x"):
        assert number(x, 2) == "n/a"
        assert number(x, 2, na="无数据") == "无数据"
    assert number(-1500, 0, minus=MINUS) == f"{MINUS}1,500"
    assert number(1500, 0, True, minus=MINUS) == "+1,500"


def test_interval():
    assert interval(-1.234, 5.678, 1, True) == "[-1.2, +5.7]"
    assert interval(-1.234, 5.678, 1, minus=MINUS) == f"[{MINUS}1.2, 5.7]"
    assert interval(math.nan, 1.0, 1) == "n/a"
    assert interval(1.0, None, 1, na="") == ""


@pytest.mark.parametrize("x, padded, plain", [
    (12345.6, "12,346", "12,346"),
    (123.4, "123", "123"),
    (12.34, "12.3", "12.3"),
    (5.5, "5.50", "5.5"),
    (0.0, "0.00", "0"),
    (0.012345, "0.0123", "0.0123"),
])
def test_significant(x, padded, plain):
    assert significant(x) == padded
    assert significant(x, pad=False) == plain
    assert significant(-x, minus="-") == ("-" + padded if x else padded)


def test_significant_sign_and_not_finite():
    assert significant(-2.0) == f"{MINUS}2.00"
    assert significant(-0.0) == "0.00"
    assert significant(2.0, sign=True) == "+2.00"
    assert significant(math.nan) == "n/a" and significant(math.inf, na="-") == "-"
