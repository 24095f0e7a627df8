"""Community office workload simulation (社区减负): scenarios, engine, experiments, reports."""

__version__ = "0.1.0"


def __getattr__(name: str):
    """Lazy top-level shortcuts, so that ``import sim`` stays light."""
    if name == "load_scenario":
        from sim.scenario import load_scenario

        return load_scenario
    if name in ("run", "compare"):
        import sim.experiment

        return getattr(sim.experiment, name)
    if name == "sweep":
        # ``sim.sweep`` is also the package of the sweep code; once imported, Python binds
        # that module to this name, so return the module: it is callable as
        # ``sim.sweep(scenario_path, params, ...)`` (see sim/sweep/__init__.py).
        import importlib

        return importlib.import_module("sim.sweep")
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
