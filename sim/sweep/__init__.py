"""Parameter sweeps: many points of one scenario, each replicated, on any executor, resumable.

>>> from sim.sweep import sweep                     # (or sim.sweep.sweep after import sim)
>>> res = sweep("scenarios/bozhou_before.toml", ["office.workers=4:8:2"], replications=10,
...             out="out/sweep-workers")                                    # doctest: +SKIP
>>> res.summary[["office.workers", "utilization_mean"]]                     # doctest: +SKIP

What a sweep is:

- a *base scenario* (a file plus ``--set`` overrides) and a *design*: the points, each a set of
  dotted-path values applied on top of the base (see :mod:`sim.sweep.design`: full grid or
  Latin hypercube; points numbered from 0, the grid in row-major order, first key slowest);
- ``replications`` jobs per point. Job (point p, replication r) runs
  ``run_replication(scenario_p, r, seed)`` with the *same* sweep seed for every point: random
  streams depend only on (seed, replication, source name), so replication r of every point
  draws the same random numbers (common random numbers). The differences between points are
  then due to the parameters, not to noise, which is what makes sweep curves smooth.
  Results do not depend on the executor, the number of workers or the order in which jobs
  finish;
- an output directory (see :mod:`sim.sweep.store` for its layout) that holds every finished
  job at once, so a killed sweep loses nothing and ``resume=True`` runs only what is missing.

Results: ``results.csv`` has one row per successful (point, replication), sorted by point
then replication, with columns ``point``, ``replication``, one per parameter (the dotted key)
and one per metric (in the order of the metric registry :data:`sim.metrics.METRICS`, then
any other metric names sorted). When some jobs fail, their error and traceback are in
``jobs/pPPPPPP-rRRRR.error.json``, ``results.csv`` holds the successful rows only, the
manifest's status is ``"failed"`` and ``sim sweep`` exits with code 1; ``resume`` runs the
failed jobs again.
"""

from __future__ import annotations

import math
import os
import shlex
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import InputError
from sim.evaluate import (
    EXECUTORS,
    DirectoryLock,
    Evaluator,
    JobFailed,
    JobSet,
    check_executor,
    check_scheduler,
)
from sim.sweep.design import DESIGNS, Design, make_design, parse_grid_values
from sim.sweep.store import Store, job_name, now

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DESIGNS",
    "EXECUTORS",
    "SweepResult",
    "parse_grid_values",
    "sweep",
]

MANIFEST_FORMAT = 1
_MANIFEST_EVERY_S = 2.0


@dataclass
class SweepResult:
    """What a sweep produced. ``results``: one row per successful (point, replication);
    ``summary``: one row per point (mean and 95% CI of each metric); ``points``: point ->
    parameter values; ``failed``: one dict per failed job (point, replication, error, file)."""

    out: Path
    results: pd.DataFrame
    summary: pd.DataFrame
    points: pd.DataFrame
    failed: list[dict[str, Any]]
    manifest: dict[str, Any]
    ran: int = 0
    keys: tuple[str, ...] = ()
    metrics: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.failed


def _positive_int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value \
            or value < minimum:
        raise InputError(f"expected an integer >= {minimum}, got {value!r}", field=name,
                         allowed=f"an integer >= {minimum}")
    return int(value)


def _metric_order(names: set[str]) -> list[str]:
    from sim.metrics import METRICS

    known = [m for m in METRICS if m in names]
    return known + sorted(n for n in names if n not in METRICS)


def _api_command(scenario_path: Any, params: Any, **kw: Any) -> str:
    args = ", ".join([repr(os.fspath(scenario_path)), repr(params),
                      *(f"{k}={v!r}" for k, v in kw.items() if v is not None)])
    return f"sim.sweep.sweep({args})"


def _compare(manifest: Mapping[str, Any], new: Mapping[str, Any], out: Path) -> None:
    """Refuse to resume a sweep that was started with something else."""
    diffs = []
    if manifest.get("format") != MANIFEST_FORMAT:
        diffs.append(f"manifest format {manifest.get('format')!r} (this version writes "
                     f"{MANIFEST_FORMAT})")
    old_sc, new_sc = manifest.get("scenario", {}), new["scenario"]
    if old_sc.get("hash") != new_sc["hash"]:
        diffs.append(f"the scenario differs (content hash {new_sc['hash']}, the sweep was "
                     f"started with {old_sc.get('hash')} from {old_sc.get('path')})")
    for key, label in (("design", "the design"), ("keys", "the --param keys"),
                       ("samples", "--samples"), ("points", "the points (--param values)"),
                       ("seed", "the seed"), ("replications", "the number of replications")):
        if manifest.get(key) != new[key]:
            if key == "points":
                diffs.append(f"{label} differ ({len(new[key])} now, "
                             f"{len(manifest.get(key) or [])} in the sweep)")
            else:
                diffs.append(f"{label} differs ({new[key]!r} now, {manifest.get(key)!r} "
                             "in the sweep)")
    if diffs:
        raise InputError(f"cannot resume: {'; '.join(diffs)}", file=str(out / "manifest.json"),
                         allowed="the same scenario, --param, --design, --samples, --seed and "
                                 "--replications as the sweep being resumed, or a new --out")


def _plain_points(design: Design) -> list[dict[str, Any]]:
    """Points as JSON would read them back (for comparing with a manifest)."""
    import json

    from sim.sweep.store import json_default

    return json.loads(json.dumps([dict(p) for p in design.points], default=json_default))


def sweep(*args: Any, **kwargs: Any) -> SweepResult:
    locks: list[DirectoryLock] = []
    try:
        return _sweep(*args, _locks=locks, **kwargs)
    finally:
        for lock in locks:
            lock.release()


def _sweep(scenario_path: str | os.PathLike[str], params: Mapping[str, Any] | Sequence[str],
           replications: int | None = None, seed: int | None = None,
           executor: str = "processes", workers: int | None = None,
           scheduler: str | None = None, out: str | os.PathLike[str] | None = None,
           resume: bool = False, design: str = "grid", samples: int | None = None,
           progress: bool | None = None, *, overrides: Any = None,
           chunk_size: int | None = None, command: str | Sequence[str] | None = None,
           allow_large: bool = False, _locks: list[DirectoryLock],
           ) -> SweepResult:
    """Run (or resume) a sweep of ``scenario_path`` over ``params`` into directory ``out``.

    ``params``: ``["office.workers=4,6,8", "volunteers.teams=0:4:2"]`` (as ``--param``) or
    ``{"office.workers": [4, 6, 8], "volunteers.teams": "0:4:2"}``; with ``design="lhs"``,
    ranges ``"KEY=LOW:HIGH"`` or ``{KEY: (low, high)}`` and ``samples`` points.
    ``replications`` and ``seed`` default to the scenario's; ``overrides`` are ``--set``
    values for the base scenario. ``executor``: ``"serial"``, ``"processes"`` (``workers``,
    default ``os.cpu_count()``) or ``"dask"`` (``scheduler`` address, else a local cluster
    of ``workers`` processes). ``progress``: a progress bar on stderr (default: when stderr
    is a terminal). A sweep larger than the ceilings of :mod:`sim.scenario.cost` is refused
    unless ``allow_large``. Bad input raises :class:`~sim.errors.InputError`; failed jobs do not
    raise: see ``SweepResult.failed``.
    """
    from sim.provenance import versions
    from sim.scenario import load_scenario
    from sim.version import __version__

    if out is None:
        raise InputError("an output directory is required", field="--out", allowed="a directory")
    if workers is not None:
        workers = _positive_int(workers, "--workers")
    check_executor(executor, workers, scheduler)
    workers = workers or (os.cpu_count() or 1)
    if chunk_size is not None:
        chunk_size = _positive_int(chunk_size, "--chunk-size")
    if seed is not None:
        seed = _positive_int(seed, "--seed", 0)
    if replications is not None:
        replications = _positive_int(replications, "--replications")

    scenario_file = os.fspath(scenario_path)
    base = load_scenario(scenario_file, overrides)
    if executor == "dask" and scheduler:
        check_scheduler(scheduler)
    seed = base.scenario.seed if seed is None else seed
    replications = base.scenario.replications if replications is None else replications
    from sim.scenario.cost import check_budget, estimate

    worst: list[Any] = [None, base]   # the cost and scenario of the largest point

    def inspect(sc: Any) -> None:
        c = estimate(sc)
        if worst[0] is None or c.tasks > worst[0].tasks:
            worst[:] = [c, sc]

    des, point_hashes = make_design(base, params, design=design, samples=samples, seed=seed,
                                    inspect=inspect)
    check_budget(worst[1], replications, points=len(des.points), cost=worst[0],
                 parallel=1 if executor == "serial" else workers, allow_large=allow_large)

    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("exists and is not a directory", file=str(out_dir), field="--out",
                         allowed="a new or sweep directory")
    lock = DirectoryLock(out_dir)   # one process per sweep directory
    lock.acquire()
    _locks.append(lock)
    store = Store(out_dir)
    try:
        old = store.read_manifest()
    except (ValueError, OSError) as exc:
        raise InputError(f"cannot read the manifest: {exc}", file=str(store.manifest_path),
                         allowed="a manifest written by sim sweep") from None
    points_json = _plain_points(des)
    identity = {
        "scenario": {"path": scenario_file, "name": base.name, "hash": base.hash},
        "design": des.kind, "keys": list(des.keys), "samples": des.samples,
        "points": points_json, "seed": seed, "replications": replications,
    }
    if old is not None and not resume:
        raise InputError("already holds a sweep (manifest.json): add --resume to finish it, "
                         "or choose another --out", file=str(out_dir), field="--out")
    if old is None and store.finished():
        raise InputError("holds job results but no manifest.json", file=str(out_dir),
                         field="--out", allowed="a new directory, or a sweep directory")
    if old is not None:
        _compare(old, identity, out_dir)
    elif resume:
        sys.stderr.write(f"note: {out_dir} holds no sweep to resume; starting a new one\n")

    store.prepare()
    total = len(des.points) * replications
    cmd = (shlex.join(command) if isinstance(command, list | tuple) else command) or \
        _api_command(scenario_path, params, replications=replications, seed=seed,
                     executor=executor, workers=workers, scheduler=scheduler, out=os.fspath(out),
                     resume=resume or None, design=design, samples=samples, overrides=overrides)
    file_hash = _file_sha256(scenario_file)
    manifest: dict[str, Any] = dict(old) if old else {}
    manifest.update({
        "format": MANIFEST_FORMAT,
        "command": cmd,
        "scenario": {**identity["scenario"], "abspath": os.path.abspath(scenario_file),
                     "file_sha256": file_hash,
                     "overrides": [[k, v] for k, v in base.overrides]},
        "design": des.kind,
        "keys": list(des.keys),
        "params": [s.to_json() for s in des.specs],
        "samples": des.samples,
        "points": points_json,
        "seed": seed,
        "replications": replications,
        "version": __version__,
        "versions": versions(),
        "executor": executor,
        "workers": 1 if executor == "serial" else None if scheduler else workers,
        "scheduler": scheduler,
        "status": "running",
        "counts": {"done": 0, "failed": 0, "total": total},
        "created": manifest.get("created") or now(),
        "updated": now(),
        "finished": None,
        "jobs": "jobs/pPPPPPP-rRRRR.json (result) or .error.json (failure)",
        "runs": list(manifest.get("runs") or []),
    })

    done = store.finished()
    todo = [(p, r) for p in range(len(des.points)) for r in range(replications)
            if (p, r) not in done]
    items = [tuple(pt.items()) for pt in des.points]
    jobs = todo
    run_info = {"started": now(), "executor": executor, "workers": manifest["workers"],
                "scheduler": scheduler, "jobs_before": total - len(todo),
                "jobs_run": 0, "jobs_failed": 0, "finished": None}
    manifest["runs"].append(run_info)
    counts = manifest["counts"]
    counts["done"] = total - len(todo)
    store.write_manifest(manifest)

    failed_now = 0
    ran = 0
    status = "interrupted"
    last = time.monotonic()

    def on_result(_i: int, res: Any, worker: str) -> None:
        nonlocal ran, failed_now, last
        job = jobset.jobs[_i]
        p, r = job.tag
        rec: dict[str, Any] = {"point": p, "replication": r, "seed": seed}
        if isinstance(res, JobFailed):
            rec.update(overrides=[[k, v] for k, v in items[p]], error=res.error,
                       traceback=res.traceback, worker=res.worker)
            failed_now += 1
        else:
            rec.update(scenario_hash=res.scenario_hash,
                       metrics={str(k): float(v) for k, v in res.metrics.items()},
                       run_seconds=float(res.run_seconds), worker=worker)
            counts["done"] += 1
        store.write_job(rec)
        ran += 1
        counts["failed"] = failed_now
        run_info["jobs_run"], run_info["jobs_failed"] = ran, failed_now
        if time.monotonic() - last > _MANIFEST_EVERY_S:
            manifest["updated"] = now()
            store.write_manifest(manifest)
            last = time.monotonic()

    jobset = JobSet()
    for p, r in todo:
        jobset.add(base, r, seed, extra=items[p], expected=point_hashes[p], daily=False,
                   tag=(p, r))
    try:
        if jobs:
            with Evaluator(executor, workers, scheduler, progress=progress, label="sweep",
                           unit="job", chunk_size=chunk_size) as ev:
                ev.map(jobset, on_result=on_result, done_before=total - len(todo))
        status = "complete"
    except InputError:
        # e.g. the scheduler went away between the check and the connection: a sweep that
        # this call created and that ran nothing leaves no directory behind to --resume.
        if old is None and ran == 0:
            status = "abandoned"
            import contextlib

            with contextlib.suppress(OSError):
                store.manifest_path.unlink()
                store.jobs.rmdir()
        raise
    finally:
        run_info["jobs_run"], run_info["jobs_failed"] = ran, failed_now
        run_info["finished"] = now()
        manifest["updated"] = now()
        if status == "interrupted":
            manifest["status"] = "interrupted"
            store.write_manifest(manifest)

    result = _finish(store, des, replications, manifest)
    result.ran = ran
    manifest["counts"] = {"done": len(result.results), "failed": len(result.failed),
                          "total": total}
    manifest["status"] = "failed" if result.failed else "complete"
    manifest["finished"] = now()
    store.write_manifest(manifest)
    return result


sweep.__doc__ = _sweep.__doc__


def _file_sha256(path: str) -> str | None:
    import hashlib

    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def _ci95(values: list[float]) -> tuple[float, float, float]:
    """Mean and t-based 95% confidence interval of the non-NaN ``values``."""
    xs = [v for v in values if not math.isnan(v)]
    n = len(xs)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = math.fsum(xs) / n
    if n == 1 or not math.isfinite(mean):
        return mean, math.nan, math.nan
    from scipy.stats import t

    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
    half = float(t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def _finish(store: Store, des: Design, replications: int,
            manifest: dict[str, Any]) -> SweepResult:
    """Read every job file back and write points.csv, results.csv(.parquet), summary.csv."""
    import pandas as pd

    keys = list(des.keys)
    records: list[tuple[int, int, dict[str, float]]] = []
    failed: list[dict[str, Any]] = []
    names: set[str] = set()
    for p in range(len(des.points)):
        for r in range(replications):
            rec = store.read_job(p, r)
            if rec is None or "metrics" not in rec:
                err = store.read_error(p, r) or {}
                failed.append({"point": p, "replication": r,
                               "error": err.get("error", "no result (the job did not run)"),
                               "file": str(store.error_path(p, r))})
                continue
            metrics = {k: (math.nan if v is None else float(v))
                       for k, v in rec["metrics"].items()}
            names.update(metrics)
            records.append((p, r, metrics))
    metric_names = _metric_order(names)

    store.write_csv("points.csv", ["point", *keys],
                    ([p, *(pt[k] for k in keys)] for p, pt in enumerate(des.points)))
    header = ["point", "replication", *keys, *metric_names]
    rows = [[p, r, *(des.points[p][k] for k in keys),
             *(m.get(name, math.nan) for name in metric_names)] for p, r, m in records]
    store.write_csv("results.csv", header, rows)

    sum_header = ["point", *keys, "replications"]
    for name in metric_names:
        sum_header += [f"{name}_mean", f"{name}_ci95_lo", f"{name}_ci95_hi"]
    by_point: dict[int, list[dict[str, float]]] = {}
    for p, _, m in records:
        by_point.setdefault(p, []).append(m)
    sum_rows = []
    for p, pt in enumerate(des.points):
        ms = by_point.get(p, [])
        row: list[Any] = [p, *(pt[k] for k in keys), len(ms)]
        for name in metric_names:
            row += list(_ci95([m.get(name, math.nan) for m in ms]))
        sum_rows.append(row)
    store.write_csv("summary.csv", sum_header, sum_rows)

    results = pd.DataFrame(rows, columns=header)
    if not rows:
        results = results.astype({"point": "int64", "replication": "int64"})
    summary = pd.DataFrame(sum_rows, columns=sum_header)
    points = pd.DataFrame([[p, *(pt[k] for k in keys)] for p, pt in enumerate(des.points)],
                          columns=["point", *keys])
    _write_parquet(store, results)
    return SweepResult(out=store.dir, results=results, summary=summary, points=points,
                       failed=failed, manifest=manifest, keys=tuple(keys),
                       metrics=tuple(metric_names))


def _write_parquet(store: Store, results: pd.DataFrame) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return
    import io
    import warnings

    from sim.sweep.store import atomic_write

    buf = io.BytesIO()
    try:
        results.to_parquet(buf, index=False)
    except Exception as exc:  # e.g. parameter columns of mixed types
        warnings.warn(f"results.parquet not written: {exc}", stacklevel=2)
        return
    atomic_write(store.dir / "results.parquet", buf.getvalue())


def job_file(out: str | os.PathLike[str], point: int, replication: int) -> Path:
    """The result file of one job in sweep directory ``out``."""
    return Path(out) / "jobs" / f"{job_name(point, replication)}.json"

