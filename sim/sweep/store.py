"""The sweep directory: manifest, one file per finished job, and the final tables.

Layout of ``DIR``::

    manifest.json            what the sweep is and how far it got (written atomically)
    jobs/p000012-r0003.json  the metrics of point 12, replication 3 (one file per finished job)
    jobs/p000012-r0003.error.json  a job that raised: its error and traceback
    points.csv               point -> parameter values
    results.csv              one row per successful (point, replication)
    results.parquet          the same table (when pyarrow is importable)
    summary.csv              per point: mean and 95% confidence interval of each metric

Every file is written to a temporary name in the same directory (``.tmp-*``) and renamed
over the final name with :func:`os.replace`, so a process killed at any moment (SIGKILL
included) leaves either the whole file or none: job files found on resume are always
complete, and leftover temporary files are deleted. (Files are not fsync'ed: this protects
against a killed process, not against a power cut.)

Floats are written with ``repr`` (the shortest text that reads back as the same float; empty
for NaN), so the tables are byte-identical whichever executor and however many workers ran
the jobs.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import io
import json
import math
import os
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

JOB_RE = re.compile(r"p(\d+)-r(\d+)\.json")
ERROR_RE = re.compile(r"p(\d+)-r(\d+)\.error\.json")
TMP_PREFIX = ".tmp-"
MANIFEST = "manifest.json"


def job_name(point: int, replication: int) -> str:
    return f"p{point:06d}-r{replication:04d}"


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and an atomic rename."""
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
    mode = "wb" if isinstance(data, bytes) else "w"
    try:
        with open(tmp, mode, **({} if isinstance(data, bytes) else
                                {"encoding": "utf-8", "newline": ""})) as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


class Store:
    """Reads and writes one sweep directory."""

    def __init__(self, out: str | os.PathLike[str]) -> None:
        self.dir = Path(out)
        self.jobs = self.dir / "jobs"

    # -- manifest --------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.dir / MANIFEST

    def read_manifest(self) -> dict[str, Any] | None:
        try:
            text = self.manifest_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return json.loads(text)

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        atomic_write(self.manifest_path, json.dumps(manifest, indent=2, ensure_ascii=False,
                                                    default=json_default) + "\n")

    # -- jobs ------------------------------------------------------------------------------
    def prepare(self) -> None:
        self.jobs.mkdir(parents=True, exist_ok=True)
        self.clean_temp()

    def clean_temp(self) -> None:
        """Delete temporary files that a killed process left behind."""
        for d in (self.dir, self.jobs):
            if d.is_dir():
                for p in d.iterdir():
                    if p.name.startswith(TMP_PREFIX):
                        with contextlib.suppress(OSError):
                            p.unlink()

    def finished(self) -> set[tuple[int, int]]:
        """(point, replication) of every job with a result file."""
        out = set()
        if self.jobs.is_dir():
            for name in os.listdir(self.jobs):
                m = JOB_RE.fullmatch(name)
                if m:
                    out.add((int(m[1]), int(m[2])))
        return out

    def errors(self) -> set[tuple[int, int]]:
        out = set()
        if self.jobs.is_dir():
            for name in os.listdir(self.jobs):
                m = ERROR_RE.fullmatch(name)
                if m:
                    out.add((int(m[1]), int(m[2])))
        return out

    def result_path(self, point: int, replication: int) -> Path:
        return self.jobs / f"{job_name(point, replication)}.json"

    def error_path(self, point: int, replication: int) -> Path:
        return self.jobs / f"{job_name(point, replication)}.error.json"

    def write_job(self, record: Mapping[str, Any]) -> None:
        """Record one finished job: its result file, or its error file when it raised."""
        p, r = int(record["point"]), int(record["replication"])
        if "error" in record:
            atomic_write(self.error_path(p, r), json.dumps(record, indent=1) + "\n")
        else:
            atomic_write(self.result_path(p, r), json.dumps(record) + "\n")
            with contextlib.suppress(FileNotFoundError):
                self.error_path(p, r).unlink()

    def read_job(self, point: int, replication: int) -> dict[str, Any] | None:
        try:
            text = self.result_path(point, replication).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError:  # cannot happen with atomic writes; re-run it anyway
            self.result_path(point, replication).unlink()
            return None

    def read_error(self, point: int, replication: int) -> dict[str, Any] | None:
        try:
            return json.loads(self.error_path(point, replication).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    # -- tables ----------------------------------------------------------------------------
    def write_csv(self, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow([fmt(v) for v in row])
        path = self.dir / name
        atomic_write(path, buf.getvalue())
        return path


def fmt(v: Any) -> str:
    """A value for CSV: floats by ``repr`` (empty for NaN), booleans as true/false."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "" if math.isnan(v) else repr(v)
    if isinstance(v, int | str):
        return str(v)
    if isinstance(v, _dt.date | _dt.time):
        return v.isoformat()
    return json.dumps(v, default=json_default, ensure_ascii=False)


def json_default(value: Any) -> Any:
    if isinstance(value, _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
