"""Merging scenario data (inheritance) and setting dotted paths (levers, ``--set``).

Merge rule (``docs/scenario-format.md``, pipeline step 2): tables merge key by key,
recursively; arrays of tables with ``id`` keys merge by id (a known id merges into the
parent's entry, a new id is appended); anything else is replaced whole. Two refinements
for cases that would otherwise always be invalid after a merge:

- a table whose discriminator (``dist`` of a distribution, ``every`` of a schedule) changes
  is replaced whole, so a child can turn a lognormal effort into a fixed one;
- keys that exclude each other (the ``per_*`` rates; ``steps`` and ``effort_hours``): writing
  one drops the others, so a child can say ``per_week`` where its parent said ``per_month``.

:func:`set_path` applies one ``path = value`` of a lever or of ``--set``: the path is checked
against the schema (unknown keys with a suggestion, tasks addressed by existing id), and the
value is merged into the current one with the same rule. ``Origins`` records which file (and
which lever or ``--set``) last wrote each path, so errors can name the right file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.scenario.datapaths import copy
from sim.scenario.schema import (
    DISCRIMINATORS,
    EXCLUSIVE,
    ROOT,
    DistNode,
    FreeTable,
    Named,
    Records,
    Scalar,
    ScheduleNode,
    Table,
    join,
)
from sim.scenario.values import Bad, suggest

Origin = tuple[str, str | None]  # (file, note such as "lever 'x'" or "--set")


class Origins(dict[str, Origin]):
    """Dotted path -> where its value was written; looked up by the longest known prefix."""

    def record(self, path: str, origin: Origin | None, purge: bool = True) -> None:
        if origin is None:
            return
        if purge:
            self.purge(path)
        self[path] = origin

    def purge(self, path: str) -> None:
        dot, bracket = path + ".", path + "["
        for key in [k for k in self if k.startswith(dot) or k.startswith(bracket)]:
            del self[key]

    def of(self, path: str) -> Origin | None:
        while path:
            if path in self:
                return self[path]
            cut = max(path.rfind("."), path.rfind("["))
            if cut <= 0:
                break
            path = path[:cut]
        return self.get(path)


def _is_records(value: Any) -> bool:
    return (isinstance(value, list) and bool(value)
            and all(isinstance(x, dict) and isinstance(x.get("id"), str) for x in value))


def _replaces(base: dict[str, Any], over: Mapping[str, Any]) -> bool:
    return any(k in base and k in over and base[k] != over[k] for k in DISCRIMINATORS)


def _drop_exclusive(out: dict[str, Any], written: Any, path: str, origins: Origins | None) -> None:
    for key in written:
        for group in EXCLUSIVE:
            if key in group:
                for other in group:
                    if other in out and other not in written:
                        del out[other]
                        if origins is not None:
                            origins.purge(join(path, other))
                            origins.pop(join(path, other), None)


def merge(base: Any, over: Any, path: str = "", origin: Origin | None = None,
          origins: Origins | None = None) -> Any:
    """``over`` merged onto ``base`` (neither is modified); records origins of what it wrote."""
    if isinstance(base, dict) and isinstance(over, Mapping) and not _replaces(base, over):
        out = dict(base)
        _drop_exclusive(out, over, path, origins)
        for key, value in over.items():
            p = join(path, key)
            if key in out:
                out[key] = merge(out[key], value, p, origin, origins)
            else:
                out[key] = copy(value)
                if origins is not None:
                    origins.record(p, origin, purge=False)
        return out
    if _is_records(base) and _is_records(over):
        out_list = list(base)
        index = {item["id"]: i for i, item in enumerate(out_list)}
        for item in over:
            p = join(path, item["id"])
            if item["id"] in index:
                i = index[item["id"]]
                out_list[i] = merge(out_list[i], item, p, origin, origins)
            else:
                index[item["id"]] = len(out_list)
                out_list.append(copy(item))
                if origins is not None:
                    origins.record(p, origin)
        return out_list
    if origins is not None:
        origins.record(path, origin, purge=isinstance(base, dict | list))
    return copy(over)


def _assign(cur: dict[str, Any], key: str, value: Any, path: str, origin: Origin | None,
            origins: Origins | None) -> None:
    _drop_exclusive(cur, (key,), path.rpartition(".")[0] if "." in path else "", origins)
    if key in cur:
        cur[key] = merge(cur[key], value, path, origin, origins)
    else:
        cur[key] = copy(value)
        if origins is not None:
            origins.record(path, origin)


def _unknown(part: str, allowed: list[str]) -> Bad:
    hint = suggest(part, allowed)
    return Bad(f"unknown key {part!r}{hint}", None if hint else ", ".join(allowed))


def _check_value(node: Any, value: Any, key: str | None = None) -> None:
    """A value a disabled lever would set must be valid too (NaN, -5 workers...): checked on
    its own (:func:`sim.scenario.validate.check_partial`), as :class:`Bad`."""
    from sim.scenario.schema import Invalid
    from sim.scenario.validate import check_key, check_partial

    try:
        if key is not None:
            check_key(node, key, value, "")
        else:
            check_partial(Scalar(lambda v: v) if node is None else node, value, "")
    except Invalid as exc:
        sub = exc.path if not exc.path or exc.path.startswith("[") else "." + exc.path
        raise Bad(exc.message, exc.allowed, sub) from None


def set_path(data: dict[str, Any], path: str, value: Any, origin: Origin | None = None,
             origins: Origins | None = None, *, dry: bool = False,
             allow_levers: bool = True) -> None:
    """Set ``path`` (dotted, tasks by id) to ``value`` in ``data``; raise :class:`Bad` if the
    path names no field. With ``dry``, only check the path."""
    parts = path.split(".")
    if not path or any(not p.strip() for p in parts):
        raise Bad(f"{path!r} is not a dotted path", "a dotted path like office.workers")
    if parts[0] == "extends":
        raise Bad("extends cannot be set here", "a field of the scenario")
    if parts[0] == "levers" and not allow_levers:
        raise Bad("a lever cannot set levers", "a field of the scenario")
    node: Any = ROOT
    cur: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        here = ".".join(parts[: i + 1])
        if isinstance(node, FreeTable):
            key = ".".join(parts[i:])
            if dry and node.check is not None:
                _check_value(Scalar(node.check), value)
            if not dry:
                _assign(cur, key, value, join(".".join(parts[:i]), key), origin, origins)
            return
        if isinstance(node, Records):
            match = next((x for x in cur if isinstance(x, dict) and x.get("id") == part), None)
            if match is None:
                ids = [x["id"] for x in cur if isinstance(x, dict) and isinstance(x.get("id"), str)]
                raise Bad(f"no task with id {part!r}{suggest(part, ids)}", ", ".join(ids) or "none")
            if last:
                if not isinstance(value, Mapping):
                    raise Bad(f"a task is a table; set its keys as {here}.KEY", "a table")
                if dry:
                    _check_value(node.item, value)
                else:
                    cur[cur.index(match)] = merge(match, value, here, origin, origins)
                return
            cur, node = match, node.item
            continue
        if isinstance(node, Named):
            if part not in cur:
                names = list(cur)
                raise Bad(f"no lever named {part!r}{suggest(part, names)}",
                          ", ".join(names) or "none")
            sub: Any = node.item
        elif isinstance(node, DistNode | ScheduleNode):
            if part not in node.keys and part != "source":
                raise _unknown(part, list(node.keys))
            if not last:
                raise Bad(f"{here} is a value, not a table", "a path ending at a value")
            if dry:
                _check_value(node, value, part)
            else:
                _assign(cur, part, value, here, origin, origins)
            return
        else:  # Table
            assert isinstance(node, Table)
            if part not in node.fields and not (part == "source" and node.source):
                raise _unknown(part, [*node.fields, *(["source"] if node.source else [])])
            sub = node.fields.get(part)
        if last:
            if dry:
                _check_value(sub, value)
            else:
                _assign(cur, part, value, here, origin, origins)
            return
        if not isinstance(sub, Table | Records | Named | FreeTable | DistNode | ScheduleNode):
            raise Bad(f"{here} is a value, not a table: set it whole",
                      f"{here}=VALUE")
        nxt = cur.get(part)
        if nxt is None:
            if isinstance(sub, Records):
                raise Bad(f"no task with id {parts[i + 1]!r} (there are no tasks)", "none")
            if isinstance(sub, Named):
                raise Bad(f"no lever named {parts[i + 1]!r} (there are no levers)", "none")
            nxt = {}
            if not dry:
                cur[part] = nxt
                if origins is not None:
                    origins.record(here, origin)
        elif isinstance(sub, Records) != isinstance(nxt, list) or (
                not isinstance(sub, Records) and not isinstance(nxt, dict)):
            raise Bad(f"{here} is not a {'array of tables' if isinstance(sub, Records) else 'table'}",
                      "a valid scenario")
        cur, node = nxt, sub
