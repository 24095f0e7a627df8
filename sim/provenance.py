"""The software a result was computed with: versions of Python, NumPy, SimPy and this package.

Every result's JSON metadata carries :func:`versions` next to its ``version`` key, so a number
can be traced to the exact stack that produced it (the lock file ``requirements/lock.txt``
pins what a fresh machine installs; this records what actually ran)."""

from __future__ import annotations

import platform
from importlib import metadata

#: Distributions whose version can change a result (engine event order, random streams).
RESULT_PACKAGES = ("numpy", "simpy")


def versions() -> dict[str, str]:
    """``{"sim": ..., "python": ..., "numpy": ..., "simpy": ...}`` of the running process."""
    from sim.version import __version__

    out = {"sim": __version__, "python": platform.python_version()}
    for dist in RESULT_PACKAGES:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:  # pragma: no cover - both are dependencies
            out[dist] = "not installed"
    return out
