"""Community office workload simulation (社区减负): scenarios, engine, experiments, reports.

``import sim`` imports nothing else of the package: ``sim.load_scenario``, ``sim.run`` and
``sim.compare`` are loaded on first use, and the sweep function is :func:`sim.sweep.sweep`.
"""

from sim.version import __version__

__all__ = ["__version__", "compare", "load_scenario", "run"]


def __getattr__(name: str):
    """Lazy top-level shortcuts, so that ``import sim`` stays light."""
    if name == "load_scenario":
        from sim.scenario import load_scenario

        return load_scenario
    if name in ("run", "compare"):
        import sim.experiment

        return getattr(sim.experiment, name)
    if name == "sweep":
        # the package sim.sweep (its function is sim.sweep.sweep)
        import sim.sweep

        return sim.sweep
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
