"""Per-value provenance: where each resolved value of a scenario comes from.

Every value :func:`sim.scenario.flatten` lists gets one :class:`ValueSource`, looked up in
this order (docs/scenario-format.md, "Per-value sources"):

1. ``note``: a per-value note, the ``[sources]`` entry for its path (for a value a lever
   writes: the entry ``levers.NAME.set.KEY``);
2. ``uncertainty``: a declared ``[uncertainties.NAME]`` moves it (its range has a source);
3. ``named``: the note of the table it sits in (for a value a lever writes: the lever's
   ``source`` and ``description``) *names* it: the note contains the field's key (``_`` and
   spaces alike, e.g. ``effort_factor``/``effort factor``) or the value itself as a number of
   at least two characters (``40``, ``0.8``; a lone digit is too common to count);
   ``[sources]`` keys may use ``*`` for one path component (``"tasks.*.priority"``), a
   per-value note for that field of every task;
4. ``neutral``: a schema default that states the absence of a modifier (an ``effort_factor``
   of 1, one copy, a schedule's count of 1, a flat seasonality, a task the file writes being
   enabled): sourced by the note of what it would modify;
5. ``inherited``: the value is written in the file (or by a lever), but the only note is the
   enclosing table's (or lever's) and it does not name it;
6. ``default``: the file does not write it (a schema default) and no note names it:
   "default (unsourced)".

``inherited`` and ``default`` are *unsourced* (:attr:`ValueSource.sourced`). Not assumptions
and never listed: names and descriptions, the frame of the study (``scenario.days``,
``warmup_days``, ``start_date``, ``calendar``: the period studied, not an estimate) and the
experiment settings ``scenario.seed`` and ``scenario.replications``, ``[[targets]]`` (observations, each with its own source and
reason) and the ``levers`` tables themselves (what they write is listed at its path).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.scenario.content import flatten, flatten_data, format_path, lookup, split_path

KINDS: tuple[str, ...] = ("note", "uncertainty", "named", "neutral", "inherited", "default")
UNSOURCED: tuple[str, ...] = ("inherited", "default")
_TEXT_FIELDS = ("name", "name_zh", "description", "description_zh")
_SETTINGS = ("scenario.seed", "scenario.replications", "scenario.days", "scenario.warmup_days",
             "scenario.start_date", "scenario.calendar")


@dataclass(frozen=True, slots=True)
class ValueSource:
    """The source of one resolved value: its ``kind`` (one of :data:`KINDS`) and the note."""

    path: str
    value: Any
    kind: str
    text: str

    @property
    def sourced(self) -> bool:
        return self.kind not in UNSOURCED

    def label(self) -> str:
        """The text ``sim describe`` shows: the note, marked by how it applies."""
        if self.kind == "default":
            return "default (unsourced)"
        if self.kind == "inherited":
            return (f"inherited (does not name it): {self.text}" if self.text
                    else "written without a note")
        if self.kind == "neutral":
            return "neutral default (no modifier)"
        return self.text


def _neutral(path: str, value: Any) -> bool:
    """A default that states the absence of a modifier (see the module docstring)."""
    leaf = split_path(path)[-1]
    if leaf == "effort_factor":
        return value == 1.0
    if leaf in ("copies", "count") and (leaf == "copies" or path.endswith("schedule.count")):
        return value == 1
    if leaf == "seasonality":
        return isinstance(value, tuple) and all(x == 1.0 for x in value)
    if leaf == "enabled" and path.startswith("tasks."):
        return value is True
    return False


def is_assumption(path: str) -> bool:
    """Whether ``path`` is a model input whose source matters (see the module docstring)."""
    top = path.split(".")[0].split("[")[0]
    if top in ("levers", "targets", "sources", "uncertainties") or path in _SETTINGS:
        return False
    return split_path(path)[-1] not in _TEXT_FIELDS


_GENERIC = frozenset({"per", "hours", "days", "working", "mean", "value", "sd", "dist", "low",
                      "high", "mode", "max", "min", "share", "enabled", "steps", "tasks", "id"})
_RATE_WORDS = {"per_hour": "an hour", "per_day": "a day", "per_week": "a week",
               "per_month": "a month", "per_year": "a year"}


def _words(path: str, table: str) -> list[str]:
    """The words of ``path`` below the table ``table`` whose note is checked."""
    below = path[len(table) + 1:] if table and path.startswith(table + ".") else path
    words: list[str] = []
    for t in split_path(below):
        if isinstance(t, int):
            continue
        if t in _RATE_WORDS:   # a note on "the rate", "the volume", "the count" names it too
            words += [_RATE_WORDS[t], t.replace("_", " "), "rate", "volume", "count"]
            continue
        words += [w for w in t.split("_") if w not in _GENERIC and len(w) > 2]
        if t not in _GENERIC:
            words.append(t.replace("_", " "))
    return words


def names(note: str, path: str, value: Any, table: str = "") -> bool:
    """Whether ``note`` (of the table ``table``) names the value at ``path``: one of the words
    of the path below the table (``effort`` for ``effort_hours.mean``; ``a week``, ``rate``,
    ``volume`` or ``count`` for ``arrivals.per_week``; ``deadline`` for
    ``deadline_working_days``), or the value itself as a
    number of at least two characters (``40``, ``0.8``; a lone digit is too common to count)."""
    if not note:
        return False
    text = note.lower().replace("_", " ")
    if any(re.search(rf"(?<![a-z]){re.escape(w.lower())}", text) for w in _words(path, table)):
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        token = f"{value:g}"
        if len(token.lstrip("-")) >= 2 and re.search(rf"(?<![\d.]){re.escape(token)}(?![\d])",
                                                      note):
            return True
    return False


def note_for(sources: Mapping[str, str], path: str) -> str | None:
    """The ``[sources]`` entry for ``path``: exact, else a key with ``*`` components."""
    if path in sources:
        return sources[path]
    tokens = split_path(path)
    for key, note in sources.items():
        if "*" in key:
            parts = split_path(key)
            if len(parts) == len(tokens) and all(p in ("*", t) for p, t in zip(parts, tokens, strict=True)):
                return note
    return None


def _lever_writes(scenario: Any) -> dict[str, tuple[str, str]]:
    """Resolved path prefix -> (lever name, set key) for every key an enabled lever writes."""
    out: dict[str, tuple[str, str]] = {}
    for name, lever in (scenario.resolved.get("levers") or {}).items():
        if lever.get("enabled"):
            for key in lever.get("set", {}):
                out[key] = (name, key)
    return out


def _written(scenario: Any) -> set[str]:
    """The leaf paths the files (and ``--set``) write, before defaults are filled in."""
    from sim.scenario.merge import copy

    base = copy(scenario.base)
    for key, value in scenario.overrides:
        if key.split(".")[0] not in ("levers", "uncertainties"):
            base.setdefault("__set__", {})[key] = value
    written = set(flatten_data({k: v for k, v in base.items() if k != "__set__"}))
    written |= set(base.get("__set__", {}))
    return written


def _under(path: str, prefixes: Mapping[str, Any]) -> Any:
    """The value of the longest key of ``prefixes`` that is ``path`` or encloses it."""
    tokens = split_path(path)
    for k in range(len(tokens), 0, -1):
        p = format_path(tokens[:k])
        if p in prefixes:
            return prefixes[p]
    return None


def _table_note(scenario: Any, path: str) -> tuple[str, str]:
    """(note, table path) of the nearest enclosing table with a note (its ``source`` or a
    ``[sources]`` entry for the table), or ("", "")."""
    sources = scenario.sources
    tokens = split_path(path)
    for k in range(len(tokens) - 1, 0, -1):
        prefix = format_path(tokens[:k])
        table = lookup(scenario.resolved, prefix)
        if isinstance(table, Mapping) and isinstance(table.get("source"), str) and table["source"]:
            return table["source"], prefix
        if prefix in sources:
            return sources[prefix], prefix
    return "", ""


def _moved_by(scenario: Any) -> dict[str, str]:
    """Resolved path (or lever path) -> "uncertainty NAME [low, high]: source"."""
    from sim.scenario.uncertainty import declared, normal_path

    out: dict[str, str] = {}
    for u in declared(scenario).values():
        text = f"uncertainty {u.name} [{u.low:g}, {u.high:g}] {u.distribution}: {u.source}"
        for p in u.paths:
            out.setdefault(normal_path(p), text)
    return out


def value_sources(scenario: Any) -> dict[str, ValueSource]:
    """Path -> :class:`ValueSource` of every assumption of ``scenario`` (flatten order)."""
    sources = scenario.sources
    written = _written(scenario)
    levers = _lever_writes(scenario)
    moved = _moved_by(scenario)
    lever_notes = {name: f"{lv.get('source', '')} {lv.get('description', '')}"
                   for name, lv in (scenario.resolved.get("levers") or {}).items()}
    out: dict[str, ValueSource] = {}
    for path, value in flatten(scenario).items():
        if not is_assumption(path):
            continue
        lever = _under(path, levers)
        if lever is not None:
            name, key = lever
            lpath = f"levers.{name}.set.{key}"
            sub = path[len(key):]
            note = note_for(sources, lpath + sub) or note_for(sources, lpath)
            unc = moved.get(lpath + sub) or moved.get(lpath)
            if note:
                out[path] = ValueSource(path, value, "note", note)
            elif unc:
                out[path] = ValueSource(path, value, "uncertainty", unc)
            else:
                lnote = lever_notes[name]
                kind = "named" if names(lnote, path, value, key.rpartition(".")[0]) else "inherited"
                out[path] = ValueSource(path, value, kind, f"lever {name}: "
                                        f"{scenario.resolved['levers'][name].get('source', '')}")
            continue
        own = note_for(sources, path)
        if own:
            out[path] = ValueSource(path, value, "note", own)
            continue
        if path in moved:
            out[path] = ValueSource(path, value, "uncertainty", moved[path])
            continue
        note, table = _table_note(scenario, path)
        if names(note, path, value, table):
            out[path] = ValueSource(path, value, "named", note)
        elif path not in written and _neutral(path, value):
            out[path] = ValueSource(path, value, "neutral", note)
        elif path in written or _under(path, dict.fromkeys(written)) is not None:
            out[path] = ValueSource(path, value, "inherited", note)
        else:
            out[path] = ValueSource(path, value, "default", note)
    return out


def unsourced(scenario: Any) -> list[ValueSource]:
    """The values whose only source is a schema default or a note that does not name them."""
    return [v for v in value_sources(scenario).values() if not v.sourced]
