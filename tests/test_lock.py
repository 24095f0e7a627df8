"""The locked environment: requirements/lock.txt pins every dependency of every extra of
pyproject.toml at a version its range admits, the running environment was installed from it,
and every result records the versions of the stack that computed it."""

from __future__ import annotations

import json
import platform
import tomllib
from importlib import metadata
from pathlib import Path

import numpy
import simpy
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from sim.cli import main
from sim.provenance import versions

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"


def _lock() -> dict[str, list[tuple[Version, Marker | None]]]:
    """name -> [(version, marker)], from the uv/pip-tools lock format (``name==v ; marker``)."""
    pins: dict[str, list[tuple[Version, Marker | None]]] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        spec, _, marker = line.partition(";")
        name, _, version = spec.strip().partition("==")
        assert version, f"{LOCK.name}: {line!r} is not pinned with =="
        pins.setdefault(canonicalize_name(name.split("[")[0]), []).append(
            (Version(version.strip()), Marker(marker) if marker.strip() else None))
    return pins


def _here(marker: Marker | None) -> bool:
    return marker is None or marker.evaluate()


def _project_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra]
    return reqs


def test_every_dependency_of_every_extra_is_pinned_within_its_range():
    pins = _lock()
    for req in _project_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not in {LOCK.name}: run make lock"
        for version, marker in pins[name]:
            if _here(marker):
                assert version in req.specifier, (
                    f"{LOCK.name} pins {req.name}=={version}, outside pyproject's {req.specifier}: "
                    "run make lock")


def test_simpy_is_pinned_to_the_tested_minor_release():
    (simpy_req,) = [r for r in _project_requirements() if canonicalize_name(r.name) == "simpy"]
    # an upper bound: a new SimPy minor release may change event order and so every result
    assert any(s.operator == "<" for s in simpy_req.specifier), simpy_req


def test_this_environment_was_installed_from_the_lock():
    """make test installs with the lock as pip constraints: each locked package that is
    installed here has exactly the locked version (on this platform's markers)."""
    pins = _lock()
    mismatched = []
    for name, entries in pins.items():
        wanted = [v for v, m in entries if _here(m)]
        if not wanted:
            continue
        try:
            got = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            continue  # an extra this target does not install (e.g. lab-only packages)
        if got not in wanted:
            mismatched.append(f"{name}: installed {got}, locked {wanted[0]}")
    assert not mismatched, "; ".join(mismatched)
    for core in ("numpy", "simpy", "pandas", "scipy", "matplotlib"):
        metadata.version(core)  # the core stack must be installed, hence checked above


def test_result_json_records_the_versions_that_computed_it(tmp_path, capsys):
    path = tmp_path / "tiny.toml"
    path.write_text('[scenario]\nname = "tiny"\ndays = 3\ncalendar = "always"\nseed = 1\n\n'
                    '[office]\nworkers = 2\n\n[[tasks]]\nid = "job"\ncategory = "core"\n'
                    'arrivals = { per_hour = 1.0 }\n'
                    'effort_hours = { dist = "exponential", mean = 1.0 }\n', encoding="utf-8")
    assert main(["run", str(path), "--replications", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["versions"] == {"sim": out["version"], "python": platform.python_version(),
                               "numpy": numpy.__version__, "simpy": simpy.__version__}
    assert versions()["simpy"] == simpy.__version__
