"""Studies over many scenarios built from one, each describing its work as jobs for the one
evaluator (:mod:`sim.evaluate`) and keeping no state of its own between calls: ensembles over
the declared uncertainties (``sim explore``), scenario discovery, sensitivity, lever
attribution (Shapley values, one at a time, leave one out) and goal seeking.

Modules: :mod:`~sim.analysis.factors` (uncertain inputs and sampled worlds),
:mod:`~sim.analysis.worlds` (every scenario in every world on the evaluator, paired, cached),
:mod:`~sim.analysis.explore` (the ensemble of paired comparisons and its headline),
:mod:`~sim.analysis.discovery` (PRIM and CART boxes), :mod:`~sim.analysis.sensitivity`
(Morris screening and Sobol' indices with SALib), :mod:`~sim.analysis.shapley` (the
arithmetic of Shapley values and interaction indices, no simulation),
:mod:`~sim.analysis.coalitions` (a reform's levers as players: each coalition's scenario, run
with common random numbers, cached by scenario hash, seed and replication),
:mod:`~sim.analysis.attribution` (``sim attribute``), :mod:`~sim.analysis.seek` (``sim seek``).
See docs/experiments.md.
"""
