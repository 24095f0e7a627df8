"""Analyses over many worlds: ensembles (``sim explore``), scenario discovery, sensitivity.

Modules: :mod:`~sim.analysis.factors` (uncertain inputs and sampled worlds),
:mod:`~sim.analysis.worlds` (every scenario in every world on the evaluator, paired, cached),
:mod:`~sim.analysis.explore` (the ensemble of paired comparisons and its headline),
:mod:`~sim.analysis.discovery` (PRIM and CART boxes), :mod:`~sim.analysis.sensitivity`
(Morris screening and Sobol' indices with SALib). See docs/experiments.md.
"""
