"""Citation keys of notes: ``[huaiyin2019]`` must be an entry of ``docs/sources.md``.

A note (a table's ``source``, a ``[sources]`` entry, an uncertainty's ``source``) cites an
outside publication by its key in square brackets; :func:`unresolved` lists the keys of a note
that ``docs/sources.md`` has no entry for. The entries are read once from the project's
``docs/sources.md`` (next to the ``sim`` package); where that file is absent (an installed
package without the repository) nothing is checked.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

KEY = re.compile(r"(?<![\[\w])\[([a-z][a-z0-9_]*)\](?![\](])")
"""A key in a note: ``[word]``, not part of ``[[...]]`` or of a markdown link."""
_ENTRY = re.compile(r"^### \[([a-z][a-z0-9_]*)\]", re.M)
SOURCES_FILE = Path(__file__).resolve().parents[2] / "docs" / "sources.md"


@functools.lru_cache(maxsize=1)
def known_keys() -> frozenset[str] | None:
    """The entry keys of docs/sources.md, or None when the file is not there."""
    try:
        text = SOURCES_FILE.read_text(encoding="utf-8")
    except OSError:
        return None
    return frozenset(_ENTRY.findall(text))


def keys(note: str) -> list[str]:
    """The keys a note cites, in order."""
    return KEY.findall(note)


def unresolved(note: str) -> list[str]:
    """The keys of ``note`` that are not entries of docs/sources.md (none if it is absent)."""
    known = known_keys()
    if known is None:
        return []
    return list(_unresolved(note, known))


@functools.lru_cache(maxsize=4096)
def _unresolved(note: str, known: frozenset[str]) -> tuple[str, ...]:
    """:func:`unresolved` of a note against ``known``: the same notes recur in every variant
    of a scenario (cached by both, bounded)."""
    return tuple(k for k in keys(note) if k not in known)
