"""The package's layers (docs/architecture.md), enforced: the import-linter contracts of
pyproject.toml hold (the real ``lint-imports``, in a subprocess), ``import sim`` loads only
sim.version, and a scenario or a city pickles as plain data, so it unpickles without calling
a loader (the import circles Scenario -> loader -> Scenario and City -> loader -> City are
gone)."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    exe = str(LINT) if LINT.exists() else shutil.which("lint-imports")
    if exe is None:
        pytest.fail("lint-imports is not installed (pip install -e '.[dev]')")
    return subprocess.run([exe, "--no-cache", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_the_import_contracts_hold():
    out = _lint()
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout
    for contract in ("Layers:", "No module imports the package's __init__", "The engine reads"):
        assert contract in out.stdout


def test_the_contracts_catch_an_import_that_runs_back_up(tmp_path):
    """A copy of the package where the engine imports the experiment layer (and a base module
    imports sim/__init__) breaks the contracts: they are not vacuous."""
    shutil.copytree(ROOT / "sim", tmp_path / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    engine = tmp_path / "sim" / "engine" / "summary.py"
    engine.write_text(engine.read_text(encoding="utf-8") + "\nfrom sim.experiment import run\n",
                      encoding="utf-8")
    stats = tmp_path / "sim" / "stats.py"
    stats.write_text(stats.read_text(encoding="utf-8") + "\nfrom sim import __version__\n",
                     encoding="utf-8")
    out = _lint(cwd=tmp_path)
    assert out.returncode != 0
    assert "sim.engine.summary -> sim.experiment" in out.stdout
    assert "sim.stats is not allowed to import sim" in out.stdout


def test_import_sim_loads_only_the_version():
    code = "import sim, sys, json; print(json.dumps(sorted(m for m in sys.modules if m.startswith('sim'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert json.loads(out.stdout) == ["sim", "sim.version"]


UNPICKLE = """
import pickle, sys, json
import sim.city.loader, sim.scenario.loader

def boom(*args, **kwargs):
    raise AssertionError("unpickling called a loader")

# what loading (and the old __reduce__ methods) go through
sim.scenario.loader._resolve = sim.city.loader._make = boom
obj = pickle.loads(sys.stdin.buffer.read())
print(json.dumps({"hash": obj.hash, "type": type(obj).__name__}))
"""


@pytest.mark.parametrize("kind", ["scenario", "city"])
def test_pickles_as_plain_data_without_loaders(kind):
    if kind == "scenario":
        from sim.scenario import load_scenario

        obj = load_scenario(ROOT / "scenarios" / "bozhou_after.toml", {"office.workers": 6})
    else:
        from sim.city import load_city

        obj = load_city(ROOT / "scenarios" / "bozhou_city.toml", ["communities.count=2"])
    data = pickle.dumps(obj)
    assert pickle.loads(data) == obj
    out = subprocess.run([sys.executable, "-c", UNPICKLE], input=data, capture_output=True,
                         check=True, cwd=ROOT)
    assert json.loads(out.stdout) == {"hash": obj.hash, "type": type(obj).__name__}


# Private names still imported across modules (none left).
PENDING: set[tuple[str, str, str]] = set()


def test_no_private_name_is_imported_across_modules():
    import ast

    found = set()
    for path in sorted((ROOT / "sim").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.add((path.relative_to(ROOT).as_posix(), node.module, alias.name))
    assert found <= PENDING, sorted(found - PENDING)
