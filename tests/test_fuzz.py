"""A standing fuzz test: hypothesis mutates the project's own scenarios (deleted keys, wrong
types, extreme numbers, in-range edge values, unicode, deep nesting, bad ``extends`` targets,
special files) and
runs the real ``sim validate`` and ``sim run --replications 1`` on every mutant, in process.

Asserted for every mutant: exit code 0 or 2; exactly one line on stderr for 2; no
traceback; each command within CASE_SECONDS. A few fixed extreme mutants also run as real
subprocesses under an address-space limit (bounded memory).

Size: SIM_FUZZ_EXAMPLES mutants (default 100, reproducible: derandomized); ``make fuzz``
runs 2,000 with a random seed. With SIM_FUZZ_TALLY=FILE the failures are appended to FILE
(one JSON line each) instead of failing the test, to count them (e.g. on an older checkout).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import math
import os
import resource
import signal
import subprocess
import sys
import time
import tomllib
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASES = sorted([*(ROOT / "scenarios").glob("*.toml"), ROOT / "tests" / "data" / "mmc.toml",
                ROOT / "tests" / "data" / "child.toml"])
EXAMPLES = int(os.environ.get("SIM_FUZZ_EXAMPLES", "100"))
TALLY = os.environ.get("SIM_FUZZ_TALLY")
CASE_SECONDS = 10.0
RUN_DAYS = 60          # sim run of a mutant covers at most this many days (keeps cases short)
CITY_DAYS = 15         # and a city (60 communities) this many

if TALLY:  # counting mode (possibly on old code): turn runaway memory into MemoryError
    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))


# -- writing TOML (tomllib only reads) ---------------------------------------------------------

def _s(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def to_toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _s(v)
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_s(str(k))} = {to_toml_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(to_toml_value(x) for x in v) + "]"
    raise TypeError(type(v))


def to_toml(data: dict) -> str:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4000))     # mutants nest up to 400 levels
    try:
        return "".join(f"{_s(str(k))} = {to_toml_value(v)}\n" for k, v in data.items())
    finally:
        sys.setrecursionlimit(limit)


# -- mutations ---------------------------------------------------------------------------------

EXTREMES = [1e300, -1e300, -1, -1.0, 0, 0.0, math.nan, math.inf, -math.inf, 2**63 - 1, -2**63,
            10**6, 10**7, 1e6, 1e-300, 0.5, 3661, 1001, 101]
WRONG = ["", "10", "fifo", True, False, [], [1, 2], {}, {"a": 1}, dt.date(2019, 1, 1),
         dt.time(9, 0), dt.datetime(2019, 1, 1, 9, 0)]
BAD_EXTENDS = ["/dev/zero", "<fifo>", "a\0b.toml", "missing.toml", "<self>", "<dir>", "<big>",
               "<long-chain>", 42, "", "/dev/null", "\udcff.toml"]

values = st.one_of(
    st.sampled_from(EXTREMES),
    st.sampled_from(WRONG),
    st.text(max_size=30),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
)
# in-range but extreme: mutants that stay valid and so exercise sim run
EDGES = [0, 1, 2, 0.001, 0.999, 1.0, 12, 24, 100, 168, 1000, 2000, 3660]

mutation = st.one_of(
    st.tuples(st.just("num"), st.integers(0, 10**6), st.sampled_from(EDGES)),
    st.tuples(st.just("delete"), st.integers(0, 10**6)),
    st.tuples(st.just("set"), st.integers(0, 10**6), values),
    st.tuples(st.just("nest"), st.integers(0, 10**6), st.sampled_from([5, 33, 120, 400]),
              st.booleans()),
    st.tuples(st.just("extends"), st.sampled_from(BAD_EXTENDS)),
    st.tuples(st.just("add"), st.integers(0, 10**6), st.text(min_size=1, max_size=12), values),
)


def _paths(value, max_depth=40):
    """Every path into ``value`` down to ``max_depth`` (iterative: mutants nest deeply)."""
    out, stack = [], [((), value)]
    while stack:
        path, v = stack.pop()
        out.append(path)
        if len(path) >= max_depth:
            continue
        if isinstance(v, dict):
            stack.extend(((*path, k), x) for k, x in reversed(list(v.items())))
        elif isinstance(v, list):
            stack.extend(((*path, i), x) for i, x in reversed(list(enumerate(v))))
    return out


def _parent(data, path):
    for k in path[:-1]:
        data = data[k]
    return data


def _special(kind: str, tmp: Path, me: Path) -> str:
    if kind == "<fifo>":
        p = tmp / "fifo.toml"
        if not p.exists():
            os.mkfifo(p)
        return str(p)
    if kind == "<self>":
        return str(me)
    if kind == "<dir>":
        return str(tmp)
    if kind == "<big>":
        p = tmp / "big.toml"
        with open(p, "wb") as fh:
            fh.truncate(2 * 1024 * 1024)
        return str(p)
    if kind == "<long-chain>":
        for i in range(40):
            (tmp / f"chain{i}.toml").write_text(f'extends = "chain{i + 1}.toml"\n')
        (tmp / "chain40.toml").write_text(f'extends = {_s(str(ROOT / "tests/data/mmc.toml"))}\n')
        return str(tmp / "chain0.toml")
    return kind


def absolute_refs(data: dict, base: Path) -> None:
    """Make the file references of a scenario or city file absolute (the mutant lives
    elsewhere)."""
    if isinstance(data.get("extends"), str):
        data["extends"] = str((base.parent / data["extends"]).resolve())
    city = data.get("city")
    if isinstance(city, dict):
        for key in ("community", "before"):
            if isinstance(city.get(key), str):
                city[key] = str((base.parent / city[key]).resolve())


def mutate(data: dict, ops, tmp: Path, me: Path) -> dict:
    for op in ops:
        paths = [p for p in _paths(data) if p]
        kind = op[0]
        if kind == "extends":
            data["extends"] = _special(op[1], tmp, me) if isinstance(op[1], str) else op[1]
            continue
        if kind == "num":
            paths = [p for p in paths if isinstance(_parent(data, p)[p[-1]], int | float)
                     and not isinstance(_parent(data, p)[p[-1]], bool)]
        if not paths:
            continue
        path = paths[op[1] % len(paths)]
        parent = _parent(data, path)
        if kind == "delete":
            del parent[path[-1]]
        elif kind == "set":
            parent[path[-1]] = op[2]
        elif kind == "num":
            parent[path[-1]] = int(op[2]) if isinstance(parent[path[-1]], int) else float(op[2])
        elif kind == "nest":
            v = parent[path[-1]]
            for _ in range(op[2]):
                v = {"x": v} if op[3] else [v]
            parent[path[-1]] = v
        elif kind == "add" and isinstance(parent, dict):
            target = parent[path[-1]]
            if isinstance(target, dict):
                target[op[2]] = op[3]
    return data


# -- running a case ----------------------------------------------------------------------------

class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


def call(argv: list[str]) -> tuple[int | str, str, str, float]:
    """``sim ARGV`` in process: (exit code or "exception", stdout, stderr, seconds)."""
    out, err = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(int(CASE_SECONDS * (2 if TALLY else 6)))  # a hang fails the case, not the run
    t0 = time.monotonic()
    rc: int | str
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main(argv)
            except SystemExit as exc:
                rc = exc.code if isinstance(exc.code, int) else 1
            except _Hang:
                rc = "hang"
            except Exception:  # any other exception is what we look for
                rc = "exception"
                err.write(traceback.format_exc())
    except _Hang:  # the alarm went off while the exception above was being handled
        rc = "hang"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return rc, out.getvalue(), err.getvalue(), time.monotonic() - t0


def problems_of(argv: list[str]) -> tuple[list[str], int | str]:
    rc, _, err, secs = call(argv)
    found = []
    if rc not in (0, 2):
        found.append(f"exit {rc}")
    if "Traceback" in err:
        found.append("traceback: " + err.strip().splitlines()[-1][:200])
    if rc == 2 and len(err.splitlines()) != 1:
        found.append(f"{len(err.splitlines())} lines on stderr: {err[:300]!r}")
    if secs > CASE_SECONDS:
        found.append(f"took {secs:.1f} s")
    return found, rc


def run_argv(path: Path) -> list[str]:
    """``sim run --replications 1`` of a valid mutant, its horizon capped at RUN_DAYS."""
    argv = ["run", str(path), "--replications", "1", "--no-progress"]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return argv
    if isinstance(data.get("city"), dict):
        return [*argv, "--set", f"city.days={CITY_DAYS}"]
    from sim.scenario import load_scenario

    sc = load_scenario(path)
    if sc.scenario.days > RUN_DAYS:
        argv += ["--set", f"scenario.days={RUN_DAYS}", "--set", "scenario.warmup_days=0"]
    return argv


def check_mutant(text: str, tmp: Path, label: str) -> list[str]:
    path = tmp / "mutant.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    found, rc = problems_of(["validate", str(path)])
    found = [f"validate: {p}" for p in found]
    run_rc = None
    if rc == 0 and not found:
        more, run_rc = problems_of(run_argv(path))
        found += [f"run: {p}" for p in more]
    if os.environ.get("SIM_FUZZ_STATS"):  # how far mutants get: validate and run exit codes
        with open(os.environ["SIM_FUZZ_STATS"], "a", encoding="utf-8") as fh:
            fh.write(f"{label} {rc} {run_rc}\n")
    if found and TALLY:
        with open(TALLY, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"base": label, "problems": found, "mutant": text[:2000]},
                                ensure_ascii=True) + "\n")
        return []
    return found


_ORIGINALS = {p: tomllib.loads(p.read_text(encoding="utf-8")) for p in BASES}


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          derandomize="SIM_FUZZ_RANDOM" not in os.environ,
          suppress_health_check=list(HealthCheck))
@given(base=st.sampled_from(BASES), ops=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_scenarios_exit_0_or_2_with_one_line(tmp_path_factory, base, ops):
    import copy

    tmp = tmp_path_factory.mktemp("fuzz")
    data = copy.deepcopy(_ORIGINALS[base])
    absolute_refs(data, base)
    mutant = mutate(data, ops, tmp, tmp / "mutant.toml")
    try:
        text = to_toml(mutant)
    except RecursionError:
        return
    found = check_mutant(text, tmp, base.name)
    assert not found, (base.name, ops, found)


def test_writer_round_trips_every_base():
    """The TOML writer is faithful: every base scenario reads back equal."""
    for p, data in _ORIGINALS.items():
        assert tomllib.loads(to_toml(data)) == data, p


# -- a few real subprocesses, memory bounded -----------------------------------------------------

FIXED = [
    ("bozhou_before.toml", [("set_key", ("tasks", 0, "arrivals"), {"per_day": 1e300})]),
    ("bozhou_before.toml", [("set_key", ("tasks", 0, "arrivals"), {"per_day": 1e6})]),
    ("bozhou_before.toml", [("set_key", ("office",), {"workers": 10**7})]),
    ("bozhou_levers.toml", [("lever_nan", None, None)]),
    ("bozhou_before.toml", [("extends", "/dev/zero", None)]),
    ("bozhou_before.toml", [("extends", "<fifo>", None)]),
    ("mmc.toml", [("nest", ("office",), 330)]),
    ("bozhou_before.toml", [("set_key", ("scenario",), {"days": 3660}),
                            ("set_key", ("tasks", 0, "arrivals"), {"per_hour": 100.0})]),
]


def _fixed_mutant(name, ops, tmp):
    base = next(p for p in BASES if p.name == name)
    data = tomllib.loads(base.read_text(encoding="utf-8"))
    absolute_refs(data, base)
    for kind, where, value in ops:
        if kind == "set_key":
            target = data
            for k in where:
                target = target[k]
            for k in [k for k in target if k.startswith("per_")]:
                del target[k]
            target.update(value)
        elif kind == "lever_nan":
            lever = next(iter(data["levers"].values()))
            lever["enabled"] = False
            lever["set"] = {"office.workers": math.nan}
        elif kind == "extends":
            data["extends"] = _special(where, tmp, tmp / "m.toml")
        elif kind == "nest":
            v = data[where[0]]
            for _ in range(value):
                v = {"x": v}
            data[where[0]] = v
    p = tmp / "m.toml"
    p.write_text(to_toml(data), encoding="utf-8")
    return p


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))


@pytest.mark.parametrize(("name", "ops"), FIXED, ids=[f"{n}:{o[0][0]}:{o[0][1]}" for n, o in FIXED])
def test_extreme_mutants_in_a_subprocess_exit_2_in_bounded_memory_and_time(tmp_path, name, ops):
    p = _fixed_mutant(name, ops, tmp_path)
    size_only = ops[0][1] == ("scenario",)      # valid, but refused by the size estimate
    for cmd in (["validate", str(p)], ["run", str(p), "--replications", "1"]):
        t0 = time.monotonic()
        if size_only and cmd[0] == "validate":
            assert main(cmd) == 0
            continue
        proc = subprocess.run([sys.executable, "-m", "sim", *cmd], cwd=ROOT, capture_output=True,
                              text=True, timeout=60, preexec_fn=_limit_memory,
                              env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
        assert proc.returncode == 2, (cmd, proc.stderr[-2000:])
        assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert time.monotonic() - t0 < 30
