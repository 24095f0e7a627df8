"""The simulation engine: one replication of one scenario, as a pure function.

``run_replication(scenario, replication, seed)`` builds the working calendar, pre-generates
the replication's work from named random streams, runs the SimPy office model and
summarises the records. No printing, no files, no global random state: the same scenario,
seed and replication give the same numbers on any machine and in any process.
"""

from __future__ import annotations

import gc
import time

from sim.calendar import WorkCalendar
from sim.engine.office import Office
from sim.engine.summary import TASK_FIELDS, ReplicationResult, summarise
from sim.engine.workload import generate
from sim.rng import Streams
from sim.scenario.model import Scenario

__all__ = ["TASK_FIELDS", "ReplicationResult", "build_calendar", "run_replication"]

_CAL_CACHE: dict[tuple, WorkCalendar] = {}


def build_calendar(scenario: Scenario) -> WorkCalendar:
    """The scenario's working calendar (cached per calendar definition; calendars are immutable)."""
    m, c = scenario.scenario, scenario.calendar
    key = (m.calendar, m.start_date, m.days, c.office_hours, c.extra_holidays, c.extra_working_days)
    cal = _CAL_CACHE.get(key)
    if cal is None:
        cal = WorkCalendar.from_scenario(scenario)
        if len(_CAL_CACHE) > 64:
            _CAL_CACHE.clear()
        _CAL_CACHE[key] = cal
    return cal


def run_replication(scenario: Scenario, replication: int = 0, seed: int | None = None, *,
                    events: bool = False) -> ReplicationResult:
    """Run replication ``replication`` of ``scenario`` with base ``seed`` (default: the
    scenario's). Returns metrics, a per-task-type table, a daily series and, with
    ``events=True``, the per-task event log."""
    t0 = time.perf_counter()
    seed = scenario.scenario.seed if seed is None else int(seed)
    cal = build_calendar(scenario)
    streams = Streams(seed, replication)
    # A replication allocates hundreds of thousands of small objects (the office's working
    # lists) and makes no reference cycles it needs collected before it returns: pausing
    # the cyclic garbage collector saves its repeated full scans of those lists.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        if scenario.epochs:  # dated levers switch the work mid-run (sim.engine.epochs)
            from sim.engine.epochs import generate_dated
            work = generate_dated(scenario, cal, streams)
        else:
            work = generate(scenario, cal, streams)
        record = Office(scenario, cal, work, streams).run()
        result = summarise(scenario, cal, work, record, seed=seed, replication=replication,
                           events=events)
    finally:
        if gc_was_enabled:
            gc.enable()
    result.run_seconds = time.perf_counter() - t0
    return result
