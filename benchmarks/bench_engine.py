"""Engine benchmark: the engine against baselines, scaling with the horizon, peak memory.

Sections (``--only NAME,...`` runs some of them; ``SECTIONS`` below lists them in order):

``mmc``
    The contract's M/M/10 (lambda 9/h, mu 1/h, FIFO, 200,000 tasks) on five implementations:
    this package's engine; idiomatic SimPy (``bare_simpy_mmc.py``: a process per customer, a
    ``Resource``); lean SimPy (``lean_simpy_mmc.py``: ``Timeout`` callbacks, no per-customer
    processes); Ciw (``ciw_mmc.py``); a pure-Python ``heapq`` event loop (``heapq_mmc.py``,
    the practical limit of an event loop written in Python). Each is measured two ways, in
    the same rounds:

    - *in process*: the simulation alone, timed inside a fresh process after its imports
      (``inprocess.py``: the engine's ``run_replication`` on a loaded scenario, which
      generates the workload, simulates and summarises; each baseline's ``run()``, which
      draws its variates and simulates). The targets are judged on this measure (it is the
      "sim time" of the performance targets, docs/performance.md).
    - *whole process*: ``sim run benchmarks/mmc_200k.toml --replications 1 --json`` against
      ``python <baseline>.py``, the way users run them: interpreter start-up and imports
      count.

    Every round runs every implementation once, in an order rotated from round to round,
    with the round's seed (round r: seed r + 1, the same for all). Medians over the rounds;
    ratios are taken round by round (same seed, same moment) and their median is printed.
    An implementation's times count only if its mean wait agrees with Erlang C
    (Wq = 0.6687 h): the mean over the rounds' seeds must lie within 4 standard errors of
    it (one run's standard deviation is 6.5 % of Wq at 200,000 tasks, measured over 40
    seeds, and shrinks like 1 / sqrt(tasks)), and the whole-process run must report the
    same wait as the in-process run of the same seed.
``year``
    One community-year of ``bozhou_before`` and ``bozhou_after`` per replication (in this
    process: the engine alone); then where a ``bozhou_after`` year's CPU time goes (the
    phases of ``run_replication`` one by one) against a floor: SimPy's public-API event
    machinery alone for the same number of events (``simpy_floor``), in shares of the year
    measured in the same rounds, and what the 45 ms target leaves for the model's logic.
``scaling``
    Run time against the horizon, in process: M/M/10 with 50,000 to 800,000 tasks (a fresh
    process each) and ``bozhou_after`` with 91 to 1,460 days; the log-log slope of time
    against tasks (1 = linear).
``memory``
    Peak memory of a 1,000,000-task M/M/10 run, without and with the event log
    (``run_replication(..., events=True)``), two ways: (peak RSS of the run's process -
    peak RSS of a 200-task run in the same kind of process) / tasks, and the ``tracemalloc``
    peak during ``run_replication`` (numpy arrays included) / tasks. (The peak RSS is the
    process's own ``VmHWM``; a child's ``ru_maxrss`` would count this process's memory too.)
    Runs longer than the 3,660-day horizon limit (here and in ``scaling``) multiply both
    rates by the smallest integer k that fits (``time_scale``): the same model in a faster
    clock, with the same tasks, events and per-task memory.

Child processes get ``PYTHONPATH`` set to this repository (so they import this checkout's
``sim``) and run with bytecode caching on (``PYTHONDONTWRITEBYTECODE`` is removed for them,
and one untimed warm-up run of each command writes the caches), as Python runs for users;
the baselines' libraries are compiled at installation anyway.

It reports; it does not fail on a missed target (the machines are shared and noisy), only
if an implementation disagrees with Erlang C.

Usage: python benchmarks/bench_engine.py [--quick] [--repeats N] [--customers N] [--only S,...]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
LAM, MU, C = 9.0, 1.0, 10
SD_REL_200K = 0.065      # sd of one run's mean wait / Wq at 200,000 tasks (40 seeds, heapq_mmc)
TARGET_VS_SIMPY = 0.25          # engine / idiomatic SimPy, in process
TARGET_VS_LEAN = 1.15           # engine / lean SimPy (Timeout callbacks), in process
TARGET_WHOLE_VS_SIMPY = 0.35    # engine / idiomatic SimPy, whole process
TARGET_YEAR_MS = 45.0           # one bozhou_after community-year, in process
TARGET_BYTES_PER_TASK = 250.0
CONTRACT_TASKS = 200_000

# what the sections measured, for the summary of targets at the end
MEASURED: dict[str, float] = {}
VERDICTS: list[str] = []

# (key, label); the key names inprocess.py's IMPL and, for a baseline, <key>_mmc.py
IMPLS = [
    ("engine", "engine (this package)"),
    ("bare_simpy", "idiomatic SimPy (process per customer, Resource)"),
    ("lean_simpy", "lean SimPy (Timeout callbacks)"),
    ("heapq", "pure-Python heapq event loop"),
    ("ciw", "Ciw"),
]


@dataclass
class Options:
    quick: bool
    repeats: int
    customers: int
    scaling_tasks: list[int] = field(default_factory=list)
    scaling_days: list[int] = field(default_factory=list)
    scaling_repeats: int = 3
    memory_tasks: int = 1_000_000


def child_env() -> dict[str, str]:
    """The environment of every child process: this checkout first on the path, bytecode
    caching on (see the module docstring)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def own_peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed_rss(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and stdout of one child process.

    The peak is the child's ``ru_maxrss``, which on Linux cannot be below what this process
    held when it started the child (the child begins as a copy of it): it is a fair peak
    only for children that grow well beyond this process (see ``own_peak_mb``). The
    in-process runs report their own peak instead (``inprocess.py``)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=child_env())
    out = proc.stdout.read()       # small outputs: read, then reap with wait4 for the rusage
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err.decode()}")
    return seconds, usage.ru_maxrss / 1024.0, out.decode()


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    a = lam / mu
    head = sum(a ** k / math.factorial(k) for k in range(c))
    tail = a ** c / math.factorial(c) / (1.0 - a / c)
    return tail / (head + tail) / (c * mu - lam)


def engine_days(n: int) -> int:
    """Days of the M/M/10 scenario for about ``n`` arrivals (926 for 200,000)."""
    return max(1, round(n / (24.0 * LAM)))


MAX_DAYS = 3660   # a scenario's horizon limit (sim.scenario.limits)


def time_scale(n: int) -> int:
    """The smallest factor k such that n tasks of M/M/10 at rates (k LAM, k MU) fit in
    MAX_DAYS days. Multiplying both rates by k only rescales time (same utilisation, the
    same distribution of tasks, events and queue lengths; waits / k), so per-task cost and
    memory are those of the contract's model."""
    return max(1, math.ceil(n / (24.0 * LAM * MAX_DAYS)))


def inprocess_cmd(impl: str, n: int, seed: int, *extra: str) -> list[str]:
    k = time_scale(n) if impl == "engine" else 1
    return [PY, str(HERE / "inprocess.py"), impl, str(LAM * k), str(MU * k), str(C), str(n),
            str(seed), *extra]


def whole_cmd(impl: str, n: int, seed: int) -> list[str]:
    if impl == "engine":
        cmd = [PY, "-m", "sim", "run", "benchmarks/mmc_200k.toml", "--replications", "1",
               "--json", "--no-progress", "--seed", str(seed)]
        if engine_days(n) != 926:
            cmd += ["--set", f"scenario.days={engine_days(n)}"]
        return cmd
    return [PY, str(HERE / f"{impl}_mmc.py"), str(LAM), str(MU), str(C), str(n), str(seed)]


def slope(x: list[float], y: list[float]) -> float:
    """Least-squares slope of log y against log x."""
    lx = [math.log(v) for v in x]
    ly = [math.log(v) for v in y]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return (sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True))
            / sum((a - mx) ** 2 for a in lx))


def target_line(name: str, value: str, target: str, ok: bool | None, judged: bool = True) -> str:
    """One line of the targets summary; ``ok`` None: not measured in this run."""
    if ok is None:
        word = "missed (not measured in this run)"
    else:
        word = "met" if ok else "missed"
        if not judged:
            word += " (at this size; the target is for the contract's size)"
    line = f"   {name}: {value} (target {target}) {word}"
    VERDICTS.append(line)
    return line


# --------------------------------------------------------------------------- sections

def bench_mmc(opt: Options) -> bool:
    n, rounds = opt.customers, opt.repeats
    theory = erlang_c_wait(LAM, MU, C)
    tol = 4.0 * SD_REL_200K * math.sqrt(200_000 / n) / math.sqrt(rounds)
    keys = [k for k, _ in IMPLS]
    label = dict(IMPLS)
    t_in: dict[str, list[float]] = {k: [] for k in keys}      # in-process seconds
    t_whole: dict[str, list[float]] = {k: [] for k in keys}   # whole-process seconds
    rss_in: dict[str, list[float]] = {k: [] for k in keys}    # reported by the child
    rss_whole: dict[str, list[float]] = {k: [] for k in keys}
    waits: dict[str, list[float]] = {k: [] for k in keys}
    same_wait: dict[str, bool] = dict.fromkeys(keys, True)
    tasks: dict[str, list[int]] = {k: [] for k in keys}
    cpu_engine: list[float] = []   # the engine's in-process CPU time per round

    print(f"== Engine on M/M/{C} (lambda {LAM:g}/h, mu {MU:g}/h, FIFO), {n:,} tasks; "
          f"Erlang C Wq = {theory:.4f} h", flush=True)
    print(f"   {rounds} rounds, seeds 1..{rounds} (one per round, the same for every "
          "implementation), order rotated each round; medians; ratios paired round by round")
    for k in keys:   # warm-up: bytecode caches, file cache (untimed)
        timed_rss(whole_cmd(k, min(n, 2000), 1))
        timed_rss(inprocess_cmd(k, min(n, 2000), 1))
    for r in range(rounds):
        seed = r + 1
        order = keys[r % len(keys):] + keys[:r % len(keys)]
        for k in order:
            _, _, out = timed_rss(inprocess_cmd(k, n, seed))
            res = json.loads(out)
            t_in[k].append(res["seconds"])
            if k == "engine":
                cpu_engine.append(res["cpu_seconds"])
            rss_in[k].append(res["peak_rss_mb"])
            waits[k].append(res["wait"])
            tasks[k].append(res["tasks"])
        for k in order:
            seconds, mb, out = timed_rss(whole_cmd(k, n, seed))
            t_whole[k].append(seconds)
            rss_whole[k].append(mb)
            w = (json.loads(out)["metrics"]["wait_hours_mean"]["mean"] if k == "engine"
                 else float(out.strip()))
            same_wait[k] &= abs(w - waits[k][-1]) <= 1e-6 * max(1.0, abs(w))
        print(f"   round {r + 1}/{rounds}: in process "
              + ", ".join(f"{k} {t_in[k][-1]:.2f}" for k in keys) + " s", flush=True)

    ok = {}
    for k in keys:
        dev = abs(statistics.fmean(waits[k]) - theory) / theory
        ok[k] = dev <= tol and same_wait[k]
    print(f"\n   Erlang C check: the mean Wq over the {rounds} seeds within {tol:.1%} of "
          f"{theory:.4f} h (4 standard errors), and the whole-process run's Wq = the in-process "
          "run's")

    def table(title: str, times: dict[str, list[float]], rss: dict[str, list[float]]) -> None:
        print(f"\n{title}")
        print(f"   {'implementation':<50} {'median s':>8} {'min s':>7} {'peak MB':>8} "
              f"{'Wq (h)':>7} {'check':>5} {'x bare SimPy':>12} {'engine / it':>11}")
        for k in keys:
            vs_simpy = statistics.median(a / b for a, b in zip(times[k], times["bare_simpy"], strict=True))
            eng = statistics.median(a / b for a, b in zip(times["engine"], times[k], strict=True))
            counted = ok[k] and ok["bare_simpy"]
            print(f"   {label[k]:<50} {statistics.median(times[k]):>8.3f} {min(times[k]):>7.3f} "
                  f"{max(rss[k]):>8.1f} {statistics.fmean(waits[k]):>7.4f} "
                  f"{'ok' if ok[k] else 'OFF':>5} "
                  f"{(f'{vs_simpy:.3f}' if counted else '-'):>12} "
                  f"{(f'{eng:.3f}' if ok[k] and ok['engine'] else '-'):>11}")

    table("In process (the simulation alone: variates, simulation, summary; imports and "
          "scenario loading excluded) - targets judged here", t_in, rss_in)
    table("Whole process (`sim run benchmarks/mmc_200k.toml --replications 1 --json` vs "
          "`python <baseline>_mmc.py`; start-up and imports included)", t_whole, rss_whole)
    print(f"\n   tasks per run: engine {statistics.fmean(tasks['engine']):,.0f} (Poisson "
          f"arrivals over {engine_days(n)} days), baselines {n:,}")
    print("   peak MB: in process, the process's own VmHWM; whole process, its ru_maxrss (at "
          f"least this benchmark's own peak, {own_peak_mb():.0f} MB)")

    judged = n == CONTRACT_TASKS
    # (CPU time, as the community-year it is compared with)
    MEASURED["mmc_engine_s_per_task"] = (statistics.median(cpu_engine)
                                         / statistics.fmean(tasks["engine"]))
    print("\n   targets (engine / baseline, median of the paired ratios"
          + ("" if judged else f"; the targets are for {CONTRACT_TASKS:,} tasks") + "):")
    for name, times, k, target in (("in process, engine / idiomatic SimPy", t_in, "bare_simpy",
                                    TARGET_VS_SIMPY),
                                   ("in process, engine / lean SimPy", t_in, "lean_simpy",
                                    TARGET_VS_LEAN),
                                   ("whole process, engine / idiomatic SimPy", t_whole,
                                    "bare_simpy", TARGET_WHOLE_VS_SIMPY)):
        label_ = f"M/M/{C} {n:,} tasks, {name}"
        if not (ok["engine"] and ok[k]):
            print(target_line(label_, "not counted (Erlang C check failed)", f"<= {target:.2f}",
                              False, judged))
            continue
        pairs = [a / b for a, b in zip(times["engine"], times[k], strict=True)]
        ratio = statistics.median(pairs)
        print(target_line(label_, f"{ratio:.3f} (rounds {min(pairs):.3f}-{max(pairs):.3f})",
                          f"<= {target:.2f}", ratio <= target, judged))
    return all(ok.values())


def bench_year(opt: Options) -> bool:
    sys.path.insert(0, str(ROOT))
    from sim.engine import run_replication
    from sim.scenario import load_scenario

    # CPU time (time.process_time) is what the target judges: wall-clock time on a shared
    # machine also counts the time a replication waits for a core (other processes' load)
    n_reps = opt.repeats * 3
    print("\n== One community-year per replication (in process: the engine alone, "
          f"{n_reps} replications; CPU time judged, wall clock shown)")
    for name in ("bozhou_before", "bozhou_after"):
        sc = load_scenario(ROOT / "scenarios" / f"{name}.toml")
        first = run_replication(sc, 0)
        secs, cpu = [], []
        for r in range(n_reps):
            t0, c0 = time.perf_counter(), time.process_time()
            run_replication(sc, r)
            cpu.append(time.process_time() - c0)
            secs.append(time.perf_counter() - t0)
        med = statistics.median(cpu)
        n_tasks = first.info["tasks_generated"]
        print(f"   {name:<14} CPU median {med * 1000:6.1f} ms, min {min(cpu) * 1000:6.1f} ms; "
              f"wall median {statistics.median(secs) * 1000:6.1f} ms per replication "
              f"({n_tasks:,.0f} tasks, {first.info['segments']:,.0f} work segments)")
        if name == "bozhou_after":
            MEASURED["year_s"], MEASURED["year_tasks"] = med, n_tasks
    year, per_task = MEASURED["year_s"], MEASURED.get("mmc_engine_s_per_task")
    if per_task:
        ratio = (year / MEASURED["year_tasks"]) / per_task
        print(f"   bozhou_after per task / the engine's M/M/{C} per task (same run): "
              f"{ratio:.2f} (a community-year costs as much as {year / per_task:,.0f} M/M/{C} "
              "tasks)")
        extra = f"; {ratio:.2f}x the M/M/{C} cost per task"
    else:
        extra = f"; M/M/{C} per-task cost not measured (section mmc not run)"
    print(target_line("bozhou_after community-year, in process",
                      f"{year * 1000:.1f} ms (CPU, median of {n_reps}{extra})",
                      f"<= {TARGET_YEAR_MS:.0f} ms", year * 1000 <= TARGET_YEAR_MS))
    year_budget(load_scenario(ROOT / "scenarios" / "bozhou_after.toml"), n_reps)
    return True


def simpy_floor(n_events: int, n_events_armed: int, seed: int = 1) -> int:
    """SimPy's public-API event machinery alone: ``n_events`` events on ``n_events_armed``
    reusable ``Timeout`` events whose callbacks only re-arm them (``callbacks`` set,
    ``Environment.schedule`` with a pre-drawn delay), the way the engine re-arms a person's
    end-of-segment event. What any engine on SimPy's public API pays for that many events
    before its model does anything. Returns the number of callbacks run."""
    import random

    import simpy
    from simpy.events import NORMAL, Timeout

    rng = random.Random(seed)
    delays = [rng.expovariate(1.0) for _ in range(n_events + n_events_armed)]
    env = simpy.Environment()
    schedule, it = env.schedule, iter(delays)
    count = [0]

    def rearm(ev) -> None:
        count[0] += 1
        if count[0] + n_events_armed <= n_events:
            ev.callbacks = [rearm]
            schedule(ev, NORMAL, next(it))

    for _ in range(n_events_armed):
        ev = Timeout(env, 0.0)
        env.step()                   # processed: reusable, like the engine's events
        ev.callbacks = [rearm]
        schedule(ev, NORMAL, next(it))
    env.run()
    return count[0]


def year_budget(sc, n_reps: int) -> None:
    """Where a community-year's CPU time goes, and what the 45 ms target leaves for the
    model's own logic once SimPy's event machinery (``simpy_floor``, the same number of
    events) and the work outside the event loop are paid. The phases are those of
    ``run_replication`` (sim.engine), timed one by one; the floor is timed in the same
    rounds, interleaved."""
    import gc

    from sim.engine import build_calendar
    from sim.engine.office import Office
    from sim.engine.summary import summarise
    from sim.engine.workload import generate
    from sim.rng import Streams

    cal, seed = build_calendar(sc), sc.scenario.seed
    # the number of events SimPy processes in one year (a counting run, not timed):
    # Environment.step, wrapped on this one environment instance
    office = Office(sc, cal, generate(sc, cal, Streams(seed, 0)), Streams(seed, 0))
    env, steps = office.env, [0]
    step = env.step

    def counted_step() -> None:
        steps[0] += 1
        step()

    env.step = counted_step
    office.run()
    n_events, n_armed = steps[0], len(office.servers)
    simpy_floor(n_events, n_armed)                      # warm-up
    phases: dict[str, list[float]] = {k: [] for k in ("workload generation", "office set-up",
                                                     "event loop", "summary", "floor")}
    clock = time.process_time
    for r in range(n_reps):
        gc.disable()                                    # as run_replication does
        try:
            t0 = clock()
            streams = Streams(seed, r)
            work = generate(sc, cal, streams)
            t1 = clock()
            office = Office(sc, cal, work, streams)
            t2 = clock()
            record = office.run()
            t3 = clock()
            summarise(sc, cal, work, record, seed=seed, replication=r)
            t4 = clock()
            simpy_floor(n_events, n_armed, seed=r + 1)
            t5 = clock()
        finally:
            gc.enable()
        for k, v in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
            phases[k].append(v * 1000)
    med = {k: statistics.median(v) for k, v in phases.items()}
    total = sum(med[k] for k in phases if k != "floor")
    outside = med["workload generation"] + med["office set-up"] + med["summary"]
    logic = med["event loop"] - med["floor"]
    us = 1000.0 / n_events
    print(f"   where a bozhou_after year's CPU time goes (the phases of run_replication timed "
          f"one by one, median of {n_reps}; together {total:.1f} ms):")
    for k in ("workload generation", "office set-up", "event loop", "summary"):
        note = f"  ({n_events:,} SimPy events, {med[k] * us:.2f} us each)" \
            if k == "event loop" else ""
        print(f"     {k:<20} {med[k]:6.1f} ms {med[k] / total:6.1%}{note}")
    print(f"   of the event loop, SimPy's public-API machinery alone (the same {n_events:,} "
          f"events on {n_armed} reusable Timeouts whose callbacks only re-arm them, timed in "
          f"the same rounds): {med['floor']:.1f} ms {med['floor'] / total:.1%} "
          f"({med['floor'] * us:.2f} us per event); the model's own logic: {logic:.1f} ms "
          f"{logic / total:.1%} ({logic * us:.2f} us per event)")
    # the machine's speed varies from minute to minute: the budget is read in shares of the
    # year measured in these rounds, the target in the same share at this moment's speed
    share = TARGET_YEAR_MS / total
    fixed = (med["floor"] + outside) / total
    if share > fixed:
        print(f"   the {TARGET_YEAR_MS:.0f} ms target is {share:.0%} of this year at this "
              f"moment's speed; with the floor and the work outside the loop at {fixed:.0%}, "
              f"the model's logic would have to fit in {share - fixed:.0%} "
              f"({(share - fixed) * total * us:.2f} us per event, "
              f"{logic / ((share - fixed) * total):.1f}x less than now)")
    else:
        print(f"   the {TARGET_YEAR_MS:.0f} ms target is {share:.0%} of this year at this "
              f"moment's speed: below the floor and the work outside the loop ({fixed:.0%})")


def bench_scaling(opt: Options) -> bool:
    sys.path.insert(0, str(ROOT))
    from sim.engine import run_replication
    from sim.scenario import load_scenario

    reps = opt.scaling_repeats
    print(f"\n== Scaling with the horizon (in process, median of {reps}; slope of log time "
          "against log tasks: 1 = linear)")
    sizes = opt.scaling_tasks
    secs: dict[int, list[float]] = {s: [] for s in sizes}
    got: dict[int, int] = {}
    for _ in range(reps):
        for s in sizes:
            _, _, out = timed_rss(inprocess_cmd("engine", s, 1))
            res = json.loads(out)
            secs[s].append(res["seconds"])
            got[s] = res["tasks"]
    med = [statistics.median(secs[s]) for s in sizes]
    print(f"   M/M/{C}, a fresh process per run:")
    print("   " + f"{'tasks':>14}" + "".join(f"{got[s]:>11,}" for s in sizes))
    print("   " + f"{'seconds':>14}" + "".join(f"{m:>11.3f}" for m in med))
    print("   " + f"{'us per task':>14}" + "".join(f"{m / got[s] * 1e6:>11.2f}"
                                                  for m, s in zip(med, sizes, strict=True)))
    print(f"   log-log slope {slope([got[s] for s in sizes], med):.2f}")

    days = opt.scaling_days
    scen = {d: load_scenario(ROOT / "scenarios" / "bozhou_after.toml", [f"scenario.days={d}"])
            for d in days}
    tasks = {d: int(run_replication(scen[d], 0).info["tasks_generated"]) for d in days}  # warm-up
    bsecs: dict[int, list[float]] = {d: [] for d in days}
    for _ in range(reps):
        for d in days:
            t0 = time.perf_counter()
            run_replication(scen[d], 0)
            bsecs[d].append(time.perf_counter() - t0)
    bmed = [statistics.median(bsecs[d]) for d in days]
    print("   bozhou_after, one replication (in this process):")
    print("   " + f"{'days':>14}" + "".join(f"{d:>11,}" for d in days))
    print("   " + f"{'tasks':>14}" + "".join(f"{tasks[d]:>11,}" for d in days))
    print("   " + f"{'ms':>14}" + "".join(f"{m * 1000:>11.1f}" for m in bmed))
    print(f"   log-log slope {slope([tasks[d] for d in days], bmed):.2f}")
    return True


def bench_memory(opt: Options) -> bool:
    n = opt.memory_tasks
    tiny = 200
    print(f"\n== Peak memory of the engine, M/M/{C} with {n:,} tasks (a fresh process per run)")
    print("   per task (RSS) = (peak RSS of the run's process - that of a 200-task run, same "
          "options) / tasks (peak RSS: the process's own VmHWM);")
    print("   per task (traced) = tracemalloc peak during run_replication (numpy arrays "
          "included) / tasks")
    print(f"   {'':<26} {'peak RSS MB':>11} {'200-task MB':>11} {'B/task RSS':>10} "
          f"{'traced MB':>9} {'B/task traced':>13} {'seconds':>8}")
    per_task = {}
    for name, extra in (("without the event log", []), ("with the event log", ["--events"])):
        _, _, out = timed_rss(inprocess_cmd("engine", n, 1, *extra))
        tasks, mb = json.loads(out)["tasks"], json.loads(out)["peak_rss_mb"]
        _, _, out_tiny = timed_rss(inprocess_cmd("engine", tiny, 1, *extra))
        mb_tiny = json.loads(out_tiny)["peak_rss_mb"]
        _, _, out_t = timed_rss(inprocess_cmd("engine", n, 1, *extra, "--tracemalloc"))
        traced = json.loads(out_t)["traced_peak_bytes"]
        b_rss = (mb - mb_tiny) * 1024 * 1024 / tasks
        b_traced = traced / tasks
        per_task[name] = (b_rss, b_traced)
        print(f"   {name:<26} {mb:>11.1f} {mb_tiny:>11.1f} {b_rss:>10.0f} "
              f"{traced / 2 ** 20:>9.1f} {b_traced:>13.0f} {json.loads(out)['seconds']:>8.2f}")
    worst = max(per_task["without the event log"])
    print(target_line(f"memory without the event log at {n:,} tasks (the larger of the two "
                      "measures)", f"{worst:.0f} bytes/task",
                      f"<= {TARGET_BYTES_PER_TASK:.0f}", worst <= TARGET_BYTES_PER_TASK,
                      n == 1_000_000))
    return True


# The sections in the order they run. To add one (the city scenario, scaling with the
# community's size), write ``bench_<name>(opt) -> bool`` above and list it here.
SECTIONS: dict[str, Callable[[Options], bool]] = {
    "mmc": bench_mmc,
    "year": bench_year,
    "scaling": bench_scaling,
    "memory": bench_memory,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: 20,000 tasks, 2 rounds, small scaling and memory runs")
    ap.add_argument("--repeats", type=int, help="rounds (default 5; --quick 2)")
    ap.add_argument("--customers", type=int, help="M/M/c tasks (default 200,000; --quick 20,000)")
    ap.add_argument("--only", help=f"comma-separated sections of {', '.join(SECTIONS)}")
    a = ap.parse_args(argv)
    if a.quick:
        opt = Options(True, a.repeats or 2, a.customers or 20_000,
                      scaling_tasks=[10_000, 20_000, 40_000], scaling_days=[91, 182, 365],
                      scaling_repeats=1, memory_tasks=100_000)
    else:
        opt = Options(False, a.repeats or 5, a.customers or 200_000,
                      scaling_tasks=[50_000, 100_000, 200_000, 400_000, 800_000],
                      scaling_days=[91, 182, 365, 730, 1460])
    names = a.only.split(",") if a.only else list(SECTIONS)
    unknown = [s for s in names if s not in SECTIONS]
    if unknown:
        ap.error(f"unknown section(s): {', '.join(unknown)}")
    names = [s for s in SECTIONS if s in names]    # in SECTIONS order (mmc first: see timed_rss)
    t0 = time.perf_counter()
    ok = True
    for name in names:
        ok &= SECTIONS[name](opt)
    if VERDICTS:
        print("\n== Targets (each measured in this run; met or missed)")
        print("\n".join(VERDICTS))
    print(f"\n(bench_engine: {time.perf_counter() - t0:.0f} s; load average now "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
