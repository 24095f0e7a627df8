"""The app's state and its background runs, without any widget (testable without a browser).

:class:`Controller` holds the planner's :class:`~sim.scenario.planner.Case`, checks it with
the package (a rejected value becomes a one-line message for the input it names; the last
good answer stays), and runs the comparison in a background thread on the shared
:class:`~sim.experiment.live.LiveComparer`: a first answer from :data:`FIRST` paired
replications, marked provisional, then refined to the full number. A newer request cancels
the older one. The page polls :meth:`Controller.snapshot`; nothing here blocks it.

"How sure are we" (:meth:`Controller.request_ensemble`, off until asked: it is expensive) runs
the ensemble of ``sim explore`` (the same :func:`sim.analysis.explore.explore`, on the shared
evaluator and cache through :meth:`~sim.experiment.live.LiveComparer.study`) for the case's
own pair of scenarios: :data:`WORLDS`
sampled worlds of the declared uncertainties x :data:`WORLD_REPLICATIONS` paired replications,
in the background, with progress and cancel; every answer whose scenarios have a kept ensemble
is rendered with it (the robustness band on each card). A changed case cancels a running
ensemble; a failed one is a one-line message and leaves the answer as it was.

:func:`case_from_query` / :func:`query_of` turn a case into the page's URL query and back
(the link that encodes the settings); only files of the configured scenario folder are
accepted.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sim.errors import InputError
from sim.experiment.live import Cancelled, LiveComparer
from sim.scenario.planner import (
    INPUTS,
    LEVER_SETTINGS,
    Case,
    folder_files,
    held_uncertainties,
    read_case_base,
    scenarios,
)

__all__ = [
    "FIRST",
    "MAX_REPLICATIONS",
    "MAX_WORLDS",
    "MAX_WORLD_REPLICATIONS",
    "WORLDS",
    "WORLD_REPLICATIONS",
    "Controller",
    "Robustness",
    "Snapshot",
    "case_from_query",
    "query_of",
]

FIRST = 5
MAX_REPLICATIONS = 20
WORLDS = 16
"""Worlds of the app's default ensemble (``sim app --worlds``)."""
WORLD_REPLICATIONS = 4
"""Paired replications per world of the app's default ensemble."""
MAX_WORLDS = 64
MAX_WORLD_REPLICATIONS = 10
_BY_NAME = {i.name: i for i in INPUTS}


@dataclass(frozen=True)
class Robustness:
    """An answer's ensemble (:class:`~sim.analysis.explore.ExploreResult`) and the declared
    uncertainties the planner's inputs hold (not sampled)."""

    ensemble: Any
    held: tuple[str, ...] = ()


@dataclass
class Snapshot:
    """What the page shows: the answer (None before the first), whether it is provisional,
    progress (done, total), status ("idle", "running", "done", "cancelled", "failed"), the
    messages by input name ("" for the whole case) and a counter that changes with the answer.
    ``ens_*``: the ensemble ("How sure are we"): status (as ``status``), progress, its one-line
    error, and ``ens_reason``, why the case cannot have one ("" when it can); ``ensemble``: the
    :class:`Robustness` of the answer on screen, if there is one."""

    result: Any = None
    case: Case | None = None
    provisional: bool = False
    done: int = 0
    total: int = 0
    status: str = "idle"
    errors: dict[str, str] = field(default_factory=dict)
    version: int = 0
    rendered: Any = None
    hashes: tuple[str, ...] = ()
    ensemble: Any = None
    ens_status: str = "idle"
    ens_done: int = 0
    ens_total: int = 0
    ens_error: str = ""
    ens_reason: str = ""


def _field_of(exc: InputError) -> str:
    """The input a package error names ("" when none)."""
    f = str(exc.field or "")
    for inp in INPUTS:
        if f.startswith(f"app input {inp.name}") or (inp.path and (f == inp.path or f.endswith("." + inp.path))):
            return inp.name
    return ""


class Controller:
    """One page's state; ``comparer`` is shared by every page of a server."""

    def __init__(self, folder: str, comparer: LiveComparer, replications: int = MAX_REPLICATIONS,
                 seed: int | None = None,
                 render: Sequence[tuple[str, Callable[[Any, bool, int], Any]]] = (),
                 quick: Sequence[str] = ("cards",), worlds: int = WORLDS,
                 world_replications: int = WORLD_REPLICATIONS) -> None:
        """``render``: (part, fn(result, provisional, total, ensemble)) pairs, what the page
        shows of an answer (``ensemble``: its kept ensemble or None), made in the background
        thread in this order and published one by one (:attr:`Snapshot.rendered`); a
        provisional answer gets only the ``quick`` parts, and a finished ensemble re-renders
        the first part. ``worlds`` x ``world_replications``: the ensemble's size (capped at
        :data:`MAX_WORLDS` x :data:`MAX_WORLD_REPLICATIONS`)."""
        self.render = list(render)
        self.quick = set(quick)
        self.folder = os.path.abspath(folder)
        self.comparer = comparer
        self.replications = max(1, min(int(replications), MAX_REPLICATIONS))
        self.worlds = max(1, min(int(worlds), MAX_WORLDS))
        self.world_replications = max(2, min(int(world_replications), MAX_WORLD_REPLICATIONS))
        self._ens_cancel: threading.Event | None = None
        self._ens_generation = 0
        self.seed = seed
        self._bases: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._snap = Snapshot()
        self._cancel: threading.Event | None = None
        self._generation = 0

    # -- files ---------------------------------------------------------------------------
    def files(self) -> list[str]:
        return folder_files(self.folder)

    def path(self, name: str) -> str:
        if name not in self.files():
            raise InputError(f"{name!r} is not a scenario of the app's folder", field="file",
                             allowed=", ".join(self.files()))
        return os.path.join(self.folder, name)

    def base(self, name: str) -> dict[str, Any]:
        """The merged data of scenario file ``name`` (levers included; cached)."""
        if name not in self._bases:
            self._bases[name] = read_case_base(self.path(name))
        return self._bases[name]

    def seed_of(self, name: str) -> int:
        if self.seed is not None:
            return self.seed
        return int(self.base(name).get("scenario", {}).get("seed", 1))

    # -- runs ----------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        with self._lock:
            return replace(self._snap, errors=dict(self._snap.errors))

    def check(self, name: str, case: Case) -> tuple[Any, Any] | dict[str, str]:
        """The (baseline, reform) scenarios, or the messages by input name."""
        try:
            full = replace(case, file=self.path(name))
            return scenarios(full, self.base(name))
        except InputError as exc:
            return {_field_of(exc): str(exc)}

    def request(self, name: str, case: Case, wait: bool = False) -> None:
        """Check ``case`` (file ``name`` of the folder) and, if the package accepts it, run it
        in the background (``wait``: in this thread); a rejected case keeps the last answer."""
        got = self.check(name, case)
        if isinstance(got, dict):
            with self._lock:
                self._snap.errors = got
                self._snap.status = "failed"
                self._snap.version += 1
            return
        self.cancel()
        self.cancel_ensemble()      # it belonged to the settings before
        reason = self._reason(got)
        cancel = threading.Event()
        with self._lock:
            self._generation += 1
            gen = self._generation
            self._cancel = cancel
            self._snap.errors = {}
            self._snap.status = "running"
            self._snap.done = 0
            self._snap.ens_reason = reason
            if self._snap.ens_status != "running":
                self._snap.ens_status, self._snap.ens_error = "idle", ""
        args = (gen, name, case, list(got), self.seed_of(name), cancel)
        if wait:
            self._work(*args)
        else:
            threading.Thread(target=self._work, args=args, daemon=True,
                             name="sim-app-run").start()

    def cancel(self) -> None:
        with self._lock:
            if self._cancel is not None:
                self._cancel.set()
                self._cancel = None
                if self._snap.status == "running":
                    self._snap.status = "cancelled"
                    self._snap.version += 1

    # -- how sure are we -----------------------------------------------------------------
    def _reason(self, scs: Sequence[Any]) -> str:
        """Why this pair can have no ensemble ("none": it declares no uncertainty; "")."""
        from sim.analysis.factors import declared_factors

        return "" if declared_factors(scs) else "none"

    def _key(self, scs: Sequence[Any], seed: int) -> tuple:
        return ("explore", tuple(sc.hash for sc in scs), self.worlds, self.world_replications,
                int(seed))

    def _kept(self, scs: Sequence[Any], seed: int, name: str, case: Case,
              ens: Any = None) -> Robustness | None:
        """The kept ensemble of this pair (or ``ens``) with the uncertainties the case holds."""
        if ens is None:
            ens = self.comparer.kept(self._key(scs, seed))
        if ens is None:
            return None
        held = held_uncertainties(replace(case, file=self.path(name)), self.base(name))
        return Robustness(ens, tuple(held))

    def request_ensemble(self, name: str, case: Case, wait: bool = False) -> None:
        """Run the ensemble of ``case`` in the background (``wait``: in this thread); when it
        is done, the answer of the same scenarios is rendered again with it."""
        got = self.check(name, case)
        if isinstance(got, dict):
            with self._lock:
                self._snap.errors = got
                self._snap.version += 1
            return
        reason = self._reason(got)
        self.cancel_ensemble()
        cancel = threading.Event()
        with self._lock:
            self._snap.ens_reason = reason
            if reason:
                self._snap.version += 1
                return
            self._ens_generation += 1
            gen = self._ens_generation
            self._ens_cancel = cancel
            self._snap.ens_status, self._snap.ens_error = "running", ""
            self._snap.ens_done, self._snap.ens_total = 0, 0
            self._snap.version += 1
        args = (gen, name, case, list(got), self.seed_of(name), cancel)
        if wait:
            self._ens_work(*args)
        else:
            threading.Thread(target=self._ens_work, args=args, daemon=True,
                             name="sim-app-ensemble").start()

    def cancel_ensemble(self) -> None:
        with self._lock:
            if self._ens_cancel is not None:
                self._ens_cancel.set()
                self._ens_cancel = None
                if self._snap.ens_status == "running":
                    self._snap.ens_status = "cancelled"
                    self._snap.version += 1

    def _ens_work(self, gen: int, name: str, case: Case, scs: list[Any], seed: int,
                  cancel: threading.Event) -> None:
        def progress(done: int, total: int) -> None:
            with self._lock:
                if gen == self._ens_generation:
                    self._snap.ens_done, self._snap.ens_total = done, total
        from sim.analysis.explore import explore

        def run(evaluator: Any, store: Any, step: Any) -> Any:   # what `sim explore` runs
            return explore(scs, samples=self.worlds, replications=self.world_replications,
                           seed=seed, discover=[], evaluator=evaluator, store=store,
                           on_progress=step)
        try:
            ens = self.comparer.study(self._key(scs, seed), run, on_progress=progress,
                                      cancel=cancel)
        except Cancelled:
            return
        except Exception as exc:   # one line next to the button; the answer stays
            with self._lock:
                if gen == self._ens_generation:
                    self._snap.ens_status = "failed"
                    self._snap.ens_error = f"{type(exc).__name__}: {exc}".splitlines()[0]
                    self._snap.version += 1
            return
        with self._lock:
            if gen != self._ens_generation:
                return
            self._snap.ens_status = "done"
            self._snap.version += 1
            snap = replace(self._snap)
        hashes = tuple(sc.hash for sc in scs)
        if snap.result is None or snap.hashes != hashes or not self.render:
            return
        rob = self._kept(scs, seed, name, case, ens)
        key, fn = self.render[0]
        html = fn(snap.result, snap.provisional, self.replications, rob)
        with self._lock:
            if self._snap.result is snap.result:
                self._snap.ensemble = rob
                self._snap.rendered = dict(self._snap.rendered or {}, **{key: html})
                self._snap.version += 1

    def _work(self, gen: int, name: str, case: Case, scs: list[Any], seed: int,
              cancel: threading.Event) -> None:
        steps = [FIRST, self.replications] if self.replications > FIRST else [self.replications]
        for n in steps:
            def progress(done: int, total: int) -> None:
                with self._lock:
                    if gen == self._generation:
                        self._snap.done, self._snap.total = done, total
            try:
                result = self.comparer.compare(scs, n, seed, on_progress=progress, cancel=cancel)
                provisional = n < self.replications
                ens = self._kept(scs, seed, name, case)
                parts = [p for p in self.render if not provisional or p[0] in self.quick]
                made = {key: fn(result, provisional, self.replications, ens)
                        for key, fn in parts[:1]}
                with self._lock:
                    if gen != self._generation:
                        return
                    self._snap.result = result
                    self._snap.case = case
                    self._snap.hashes = tuple(sc.hash for sc in scs)
                    self._snap.ensemble = ens
                    self._snap.provisional = provisional
                    self._snap.status = "running" if provisional else "done"
                    self._snap.rendered = dict(self._snap.rendered or {}, **made)
                    self._snap.version += 1
                for key, fn in parts[1:]:   # the slower parts (figures) one by one
                    if cancel.is_set():
                        return
                    html = fn(result, provisional, self.replications, ens)
                    with self._lock:
                        if gen != self._generation:
                            return
                        self._snap.rendered[key] = html
                        self._snap.version += 1
            except Cancelled:
                return
            except Exception as exc:   # a failed run leaves the previous answer
                with self._lock:
                    if gen == self._generation:
                        self._snap.status = "failed"
                        self._snap.errors = {"": f"error: {type(exc).__name__}: {exc}".splitlines()[0]}
                        self._snap.version += 1
                return


# ------------------------------------------------------------------------------ the link
def query_of(name: str, case: Case, lang: str) -> dict[str, str]:
    """The URL query of a case: file, lang, levers (comma separated), input values and lever
    settings (``NAME.KEY``)."""
    q = {"file": name, "lang": lang, "levers": ",".join(case.levers)}
    for k, v in case.values.items():
        q[k] = ("true" if v else "false") if isinstance(v, bool) else f"{v:g}" if isinstance(v, float) else str(v)
    for (lever, key), v in case.lever_settings.items():
        q[f"{lever}.{key}"] = str(v)
    return q


def case_from_query(query: dict[str, str], files: list[str], default: str
                    ) -> tuple[str, Case | None, dict[str, str]]:
    """(file name, the case the query encodes or None when it names no levers, messages by
    input for values it could not read). Unknown keys are ignored."""
    errors: dict[str, str] = {}
    name = query.get("file", default)
    if name not in files:
        errors["file"] = f"file: {name!r} is not in the app's scenario folder (allowed: {', '.join(files)})"
        name = default
    values: dict[str, Any] = {}
    for inp in INPUTS:
        raw = query.get(inp.name)
        if raw is None:
            continue
        if inp.kind == "bool":
            if raw.lower() in ("true", "false"):
                values[inp.name] = raw.lower() == "true"
            else:
                errors[inp.name] = f"{inp.name}: expected true or false, got {raw!r}"
            continue
        try:
            num = float(raw)
        except ValueError:
            errors[inp.name] = f"{inp.name}: expected a number, got {raw!r}"
            continue
        values[inp.name] = int(num) if inp.kind == "int" and num == int(num) else num
    settings: dict[tuple[str, str], Any] = {}
    for key, raw in query.items():
        lever, _, what = key.rpartition(".")
        if lever and what in LEVER_SETTINGS:
            try:
                settings[(lever, what)] = float(raw) if what == "compliance" else raw
            except ValueError:
                errors[key] = f"{key}: expected a number, got {raw!r}"
    levers = tuple(x for x in query.get("levers", "").split(",") if x) if "levers" in query else None
    case = Case(name, values, levers or (), settings) if levers is not None or values else None
    return name, case, errors
