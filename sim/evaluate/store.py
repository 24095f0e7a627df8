"""The replication cache of ``sim run``/``sim compare --out DIR``: one file per finished
replication, so an interrupted (or killed) experiment loses nothing and ``--resume DIR``
runs only what is missing.

``DIR/replications/HASH-sSEED-rN[-ev].npz``: one replication of the scenario with content
hash HASH, base seed SEED, replication N (``-ev``: with event logs), written atomically
(temporary file + rename) when it finishes. The file is a NumPy ``.npz`` archive read with
``allow_pickle=False`` (no code runs when it is read): ``meta`` holds the metrics, task
table and counts as JSON (floats written by ``repr``, so they read back bit for bit; NaN as
``NaN``), and ``daily.*``, ``events.*``, ``work.*`` hold the arrays (text columns as unicode
arrays, turned back into object arrays). A result read back is equal to the one computed,
so a resumed experiment gives the same numbers as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from sim.engine import ReplicationResult
from sim.evaluate.jobs import Job

__all__ = ["ReplicationStore", "atomic_write"]

TMP_PREFIX = ".tmp-"
_NAME = re.compile(r"[0-9a-f]{16}-s\d+-r\d+(-ev)?")


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory and a rename."""
    import uuid  # (here: 3 ms of start-up that reading runs do not need)

    tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
    try:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8", newline="")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _pack(res: ReplicationResult) -> bytes:
    meta = {"scenario": res.scenario, "scenario_hash": res.scenario_hash, "seed": res.seed,
            "replication": res.replication, "metrics": res.metrics, "tasks": res.tasks,
            "run_seconds": res.run_seconds, "info": res.info,
            "events": res.events is not None, "work": res.work is not None}
    arrays: dict[str, np.ndarray] = {"meta": np.asarray(json.dumps(meta))}
    for group in ("daily", "events", "work"):
        for name, col in (getattr(res, group) or {}).items():
            col = np.asarray(col)
            if col.dtype == object:
                col = col.astype(str)
            arrays[f"{group}.{name}"] = col
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _unpack(data: Any) -> ReplicationResult:
    meta = json.loads(str(data["meta"][()]))
    groups: dict[str, dict[str, np.ndarray]] = {"daily": {}, "events": {}, "work": {}}
    for key in data.files:
        if key == "meta":
            continue
        group, name = key.split(".", 1)
        col = data[key]
        groups[group][name] = col.astype(object) if col.dtype.kind == "U" else col
    return ReplicationResult(
        meta["scenario"], meta["scenario_hash"], int(meta["seed"]), int(meta["replication"]),
        {k: float(v) for k, v in meta["metrics"].items()}, meta["tasks"], groups["daily"],
        groups["events"] if meta["events"] else None, groups["work"] if meta["work"] else None,
        float(meta["run_seconds"]), {k: float(v) for k, v in meta["info"].items()})


class ReplicationStore:
    """The :class:`~sim.evaluate.evaluator.Store` of finished replications under
    ``DIR/replications``. A job that needs event logs is served only from a file that has
    them (``-ev``); a job that does not may also use such a file (the logs are dropped)."""

    def __init__(self, out: str | os.PathLike[str]) -> None:
        self.dir = Path(out) / "replications"
        self.error: OSError | None = None   # the first write that failed (then none is tried)

    def prepare(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        for p in self.dir.iterdir():
            if p.name.startswith(TMP_PREFIX):
                with contextlib.suppress(OSError):
                    p.unlink()

    def path(self, job: Job) -> Path:
        return self.dir / f"{job.key}.npz"

    def get(self, job: Job) -> ReplicationResult | None:
        paths = [self.path(job)]
        if not job.events:
            paths.append(self.dir / f"{job.key}-ev.npz")
        for p in paths:
            try:
                with np.load(p, allow_pickle=False) as data:
                    res = _unpack(data)
            except FileNotFoundError:
                continue
            except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError):
                continue   # cannot happen with atomic writes; run it again
            if res.scenario_hash != job.hash or res.replication != job.replication:
                continue
            if not job.events:
                res.events = res.work = None
            if not job.daily:
                res.daily = {}
            return res
        return None

    def put(self, job: Job, result: ReplicationResult) -> None:
        """Keep ``result``; if the disk refuses (full, a file-size limit), stop keeping
        replications and carry on: the results stay in memory and reach the output (or its
        rescue directory) at the end, only ``--resume`` will have to run them again."""
        if self.error is not None:
            return
        try:
            atomic_write(self.path(job), _pack(result))
        except OSError as exc:
            self.error = exc

    def count(self) -> int:
        if not self.dir.is_dir():
            return 0
        return sum(1 for p in self.dir.iterdir() if _NAME.fullmatch(p.stem))
