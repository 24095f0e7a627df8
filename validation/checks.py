"""Verdicts: one :class:`Check` per compared quantity, grouped in a :class:`Study`.

A statistical check holds the per-replication values of a simulated quantity and the value
theory (or an independent computation) gives. Its 95% t-interval over replications is what
the report shows. The pass rule, stated in the report:

* **pass** if the theory value lies inside the 95% confidence interval, or if the
  simulated mean is within the check's stated absolute tolerance of it (used where the
  interval is tiny or zero, e.g. exact identities);
* **pass (family-wise)** if it lies outside the 95% interval but inside the Bonferroni
  interval at level 1 - 0.05 / m, m = the number of statistical checks in the study: with
  many checks, about 5% of the 95% intervals miss a correct value by chance, and the
  Bonferroni intervals keep the chance that a correct engine fails a study below 5%;
* **FAIL** otherwise. A study passes if none of its checks fails.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.stats import t_interval, t_quantile

PASS, PASS_FW, FAIL = "pass", "pass (family-wise)", "FAIL"


@dataclass
class Check:
    """One comparison: ``values`` (one per replication) against ``theory``."""

    case: str
    quantity: str
    theory: float
    values: Sequence[float]
    tolerance: float = 0.0          # absolute; 0 = the interval alone decides
    family: int = 1                 # number of statistical checks in the study (Bonferroni)

    @property
    def interval(self):
        return t_interval(self.values)

    @property
    def statistical(self) -> bool:
        """Decided by a confidence interval (several values, no tolerance), not exactly."""
        return self.tolerance == 0.0 and len(self.values) >= 2

    def bonferroni_half_width(self) -> float:
        iv = self.interval
        if iv.n < 2:
            return math.nan
        conf = 1.0 - 0.05 / max(self.family, 1)
        return t_quantile(iv.n - 1, conf) * iv.sd / math.sqrt(iv.n)

    @property
    def verdict(self) -> str:
        iv = self.interval
        if not math.isfinite(self.theory) or not math.isfinite(iv.mean):
            return FAIL
        diff = abs(iv.mean - self.theory)
        if diff <= self.tolerance:
            return PASS
        if iv.n >= 2 and iv.low <= self.theory <= iv.high:
            return PASS
        hw = self.bonferroni_half_width()
        if math.isfinite(hw) and diff <= hw:
            return PASS_FW
        return FAIL

    @property
    def passed(self) -> bool:
        return self.verdict != FAIL


@dataclass
class Study:
    """A study's result: its checks and the Markdown text that explains them."""

    key: str
    title: str
    compared: str                       # what is compared, one paragraph
    explanation: str                    # plain-language derivation and reading
    checks: list[Check] = field(default_factory=list)
    table: str = ""                     # Markdown table (made by the study)
    notes: list[str] = field(default_factory=list)
    supported: bool = True              # False: a feature the engine lacks (reported as such)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def set_family(self) -> None:
        """Set every statistical check's family size m (for the Bonferroni interval)."""
        m = sum(1 for c in self.checks if c.statistical)
        for c in self.checks:
            c.family = max(m, 1)

    @property
    def outside_95(self) -> int:
        """Statistical checks whose theory value lies outside their 95% interval."""
        return sum(1 for c in self.checks
                   if c.statistical and not c.interval.low <= c.theory <= c.interval.high)


def cell(check: Check, digits: int = 3) -> str:
    """``mean [low, high]`` of a check's values, in ``digits`` significant figures."""
    iv = check.interval
    return f"{fmt(iv.mean, digits)} [{fmt(iv.low, digits)}, {fmt(iv.high, digits)}]"


def mark(check: Check) -> str:
    v = check.verdict
    return {PASS: "pass", PASS_FW: "pass†", FAIL: "**FAIL**"}[v]


def fmt(x: float, digits: int = 3) -> str:
    """A number in ``digits`` significant figures, without exponent for ordinary sizes."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    if mag < -4 or mag > 6:
        return f"{x:.{digits - 1}e}"
    dec = max(digits - 1 - mag, 0)
    return f"{x:.{dec}f}"


def rel_half_width(check: Check) -> float:
    iv = check.interval
    return iv.half_width / abs(iv.mean) if iv.mean else math.inf


def as_array(values) -> np.ndarray:
    return np.asarray(list(values), dtype=float)
