"""Every user-facing label and sentence of the report, the figures and the text tables, in
English and Chinese, looked up by key.

The words are data: the TOML catalogues next to this module (``common.toml``: units,
verdicts, kinds of work, parameters; ``plots.toml``: the figures; ``report.toml``: the HTML
report; ``stress.toml``: the STRESS-DES model documentation) hold one entry per key with an
``en`` and a ``zh`` string, which may contain :meth:`str.format` fields. A key is the file
name and the entry's dotted name, without the file name for ``common.toml``:
``t("report.title", lang, names=...)``, ``t("unit.hours", "zh")``. ``model_description.toml`` holds the model description that the report's
STRESS-DES section and ``docs/model.md`` share (see :mod:`sim.text.sync_docs`).

Metric labels live in the metric registry (:func:`sim.metrics.label`), not here.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Any

__all__ = ["LANGS", "catalogue", "category", "origin", "param", "t", "unit", "verdict"]

LANGS = ("en", "zh")


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, tuple[str, str]]) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}"
        if not isinstance(value, dict):
            raise ValueError(f"text catalogue: {key} is not a table of en and zh")
        if set(value) & {"en", "zh"}:
            if set(value) != {"en", "zh"} or not all(isinstance(v, str) for v in value.values()):
                raise ValueError(f"text catalogue: {key} needs exactly the strings en and zh")
            out[key] = (value["en"], value["zh"])
        else:
            _flatten(key, value, out)


@functools.cache
def catalogue() -> dict[str, tuple[str, str]]:
    """{key: (English, Chinese)} of every catalogue file; ``common`` keys without prefix."""
    out: dict[str, tuple[str, str]] = {}
    for item in sorted(resources.files(__package__).iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            stem = item.name[:-5]
            entries: dict[str, tuple[str, str]] = {}
            _flatten(stem, tomllib.loads(item.read_text(encoding="utf-8")), entries)
            for key, value in entries.items():
                out[key.removeprefix("common.") if stem == "common" else key] = value
    return out


def t(key: str, lang: str = "en", **fields: Any) -> str:
    """The text of ``key`` in ``lang`` ("zh" for Chinese, anything else English), with
    ``fields`` filled in. An unknown key is a KeyError (a typo must not pass silently)."""
    en, zh = catalogue()[key]
    return (zh if lang == "zh" else en).format(**fields)


def _or_same(group: str, name: str, lang: str) -> str:
    entry = catalogue().get(f"{group}.{name}")
    if entry is None:
        return name
    return entry[1] if lang == "zh" else entry[0]


def unit(name: str, lang: str = "en") -> str:
    """A unit (``"hours/year"``, ``"share"``, ...) as shown in ``lang``; unknown units as given."""
    return _or_same("unit", name, lang)


def verdict(name: str, lang: str = "en") -> str:
    """A comparison's verdict ("better", "no clear difference", ...) in ``lang``."""
    return _or_same("verdict", name, lang)


def category(name: str, lang: str = "en") -> str:
    """A kind of work (``"core"``, ``"ledger"``, ...) in words."""
    return _or_same("category", name, lang)


def origin(name: str, lang: str = "en") -> str:
    """Who asks for a task (``"department"``, ``"resident"``, ``"office"``) in words."""
    return _or_same("origin", name, lang)


def param(path: str, lang: str = "en") -> str:
    """A scenario parameter's dotted path, with its name in words in Chinese where known."""
    entry = catalogue().get(f"param.{path}")
    if entry is None:
        return path
    return (entry[1] if lang == "zh" else entry[0]).format(param=path)
