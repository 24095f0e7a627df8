"""Studies over many scenarios built from one: lever attribution (Shapley values, one at a
time, leave one out) and goal seeking. Each study describes its work as jobs for the one
evaluator (:mod:`sim.evaluate`) and keeps no state of its own between calls.

Modules: :mod:`~sim.analysis.shapley` (the arithmetic of Shapley values and interaction
indices, no simulation), :mod:`~sim.analysis.coalitions` (a reform's levers as players: each
coalition's scenario, run with common random numbers, cached by scenario hash, seed and
replication), :mod:`~sim.analysis.attribution` (``sim attribute``),
:mod:`~sim.analysis.seek` (``sim seek``).
"""
