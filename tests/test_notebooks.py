"""Execute every notebook in notebooks/ top to bottom with quick parameters.

Each notebook has one cell tagged ``parameters`` (papermill style). The test keeps that cell
and appends quick values (few replications, tiny grids, output under ``tmp_path``), runs the
notebook with nbclient on a kernel of *this* interpreter, and checks that no cell raised and
that the notebook drew at least the expected number of figures (``image/png`` outputs).

Nothing is written to the repository: the executed notebooks stay in memory and sweep output
goes to ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
KERNEL_NAME = "community-office-sim-tests"
CELL_TIMEOUT = 180  # seconds per cell

# notebook -> (quick parameters, minimum number of figures, working directory: "root"|"notebooks")
CASES = {
    "01_quickstart.ipynb": (
        {"REPLICATIONS": 2}, 3, "root"),
    "02_bozhou_before_after.ipynb": (
        {"REPLICATIONS": 3, "LEVER_REPLICATIONS": 2, "UNCERTAIN_REPLICATIONS": 2}, 7, "notebooks"),
    "03_sweeps.ipynb": (
        {"REPLICATIONS": 2, "TEAMS": "0:1:1", "WORKERS": "6,8", "LHS_SAMPLES": 4,
         "EXECUTOR": "processes", "N_WORKERS": 2, "OUT_DIR": "{tmp}"}, 5, "notebooks"),
    "04_feedback_deadline.ipynb": (
        {"REPLICATIONS": 2, "DEADLINES": "1,3,5", "EXECUTOR": "processes", "N_WORKERS": 2,
         "OUT_DIR": "{tmp}"}, 2, "notebooks"),
    "05_explorer.ipynb": (
        {"REPLICATIONS": 2}, 2, "notebooks"),
    "06_city.ipynb": (
        {"REPLICATIONS": 2, "WORKERS": 2}, 5, "root"),
    "07_robustness.ipynb": (
        {"SAMPLES": 12, "REPLICATIONS": 2, "TRAJECTORIES": 2, "SOBOL_SAMPLES": 4, "TOP": 2,
         "N_WORKERS": 2, "OUT_DIR": "{tmp}", "ATTR_PERMUTATIONS": 2, "ATTR_DAYS": 30, "ATTR_WORLDS": 3,
         "SEEK_REPLICATIONS": 3, "SEEK_DAYS": 60,
         "SEEK_TARGET": "problem_resolution_days_rmean <= 1.5", "CITY_COMMUNITIES": 6, "CITY_DAYS": 30},
        7, "notebooks"),
}


@pytest.fixture(scope="session")
def kernel_name(tmp_path_factory):
    """A kernelspec that starts ipykernel with this very interpreter (the venv's), found
    through JUPYTER_PATH, so a user-level 'python3' kernel pointing elsewhere cannot interfere."""
    base = tmp_path_factory.mktemp("jupyter")
    spec = base / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "community-office-sim tests", "language": "python",
    }))
    with pytest.MonkeyPatch.context() as mp:
        old = os.environ.get("JUPYTER_PATH")
        mp.setenv("JUPYTER_PATH", str(base) + (os.pathsep + old if old else ""))
        mp.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        yield KERNEL_NAME


def test_every_notebook_has_a_case():
    found = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert found == sorted(CASES), "add the new notebook to CASES in tests/test_notebooks.py"


@pytest.mark.parametrize("name", sorted(CASES))
def test_notebook_is_stored_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    stale = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not stale, f"{name}: cells {stale} hold outputs; clear them before committing"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code", \
        f"{name}: needs exactly one code cell tagged 'parameters'"


def _inject(nb, params: dict) -> None:
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    for key in params:
        assert f"{key} =" in cell.source, f"parameter {key} is not in the parameters cell"
    lines = [f"{k} = {v!r}" for k, v in params.items()]
    cell.source = cell.source + "\n\n# injected by tests/test_notebooks.py\n" + "\n".join(lines)


def _figures(nb) -> int:
    return sum(1 for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", []) if "image/png" in o.get("data", {}))


def _errors(nb) -> list[str]:
    return [f"cell {i}: {o.get('ename')}: {o.get('evalue')}" for i, c in enumerate(nb.cells)
            if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", sorted(CASES))
def test_notebook_runs(name, kernel_name, tmp_path):
    params, min_figures, cwd = CASES[name]
    params = {k: (v.format(tmp=tmp_path) if isinstance(v, str) else v) for k, v in params.items()}
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    _inject(nb, params)
    client = nbclient.NotebookClient(
        nb, kernel_name=kernel_name, timeout=CELL_TIMEOUT, allow_errors=False,
        resources={"metadata": {"path": str(ROOT if cwd == "root" else NOTEBOOKS)}})
    t0 = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{name} failed:\n{exc}", pytrace=False)
    seconds = time.perf_counter() - t0
    assert not _errors(nb)
    n = _figures(nb)
    assert n >= min_figures, f"{name}: {n} figures, expected at least {min_figures}"
    print(f"{name}: {seconds:.1f} s, {n} figures")
