"""Experiments: many replications of a scenario with confidence intervals, and paired comparisons.

:func:`run` runs replications ``0..n-1`` of one scenario and summarises every metric with its
mean and 95 % Student-t interval. :func:`compare` runs the same replication numbers with the
same seed for several scenarios, so replication r of each draws the same random numbers for
the sources they share (common random numbers, see :mod:`sim.rng`), and judges each scenario
against the first by the *paired* differences, replication by replication.

Sequential precision (``precision=p``)
--------------------------------------
Start with ``min_replications`` replications (or ``replications`` if given); then, until every
headline metric (:data:`sim.metrics.HEADLINE`) has a 95 % t-interval whose half-width is at
most ``p * |mean|``, add a batch of replications and check again. A metric that is NaN in
every replication, or 0 in every replication, is skipped (it has no relative precision).
The next total is estimated from the worst metric, ``n * (achieved / p) ** 2`` (half-widths
shrink like ``1 / sqrt(n)``), at least one more replication and at most double the current
number; it stops at ``max_replications`` with a warning naming the metrics that missed. In
:func:`compare` the rule also applies to the paired difference of every headline metric,
relative to the baseline's mean (or to the scenario's mean where the baseline is 0
throughout, e.g. volunteer work before the reform). ``precision_info`` records whether it
converged, the achieved relative half-widths and the totals after each batch. As with any
sequential stopping rule the intervals' coverage is slightly below the nominal 95 %; the
doubling cap and ``min_replications`` keep that small. See ``docs/experiments.md``.

The package, by job: :mod:`~sim.experiment.study` (``run``, ``compare``, ``welch``),
:mod:`~sim.experiment.runner` (the run loop on the evaluator, interruption),
:mod:`~sim.experiment.precision` (the sequential rule), :mod:`~sim.experiment.results`
(:class:`RunResult`, its frames, JSON and files), :mod:`~sim.experiment.comparison`
(:class:`ComparisonResult`, paired differences and verdicts) and
:mod:`~sim.experiment.tables` (the text tables). Everything public is importable from
``sim.experiment``.

Nothing here prints: a tqdm progress bar (``tqdm.auto``, so notebooks get a widget) is shown
only with ``progress=True``, or with ``progress=None`` when stderr is a terminal and the
run lasts more than a moment.
"""


from sim.experiment.comparison import (
    BETTER,
    HIGHER,
    LOWER,
    UNCLEAR,
    WORSE,
    ComparisonResult,
    differences,
    verdict,
)
from sim.experiment.results import RunResult
from sim.experiment.runner import ExperimentInterrupted
from sim.experiment.study import compare, run, welch

__all__ = ["BETTER", "HIGHER", "LOWER", "UNCLEAR", "WORSE", "ComparisonResult",
           "ExperimentInterrupted", "RunResult", "compare", "differences", "run", "verdict",
           "welch"]
