"""Sources live inside the project (docs/sources.md).

(a) every ``[key]`` cited in scenarios/, docs/, README.md, notebooks/ and calibration/ is an
entry of docs/sources.md, and every entry is cited (or marked as background);
(b) no tracked file names a path of this machine or a file outside the repository;
(c) the resolved Bozhou scenarios (every value's note, as ``sim describe`` shows it) cite no
outside file and only keys that resolve.
Each checker is also run on a planted bad copy, so each test can fail.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.scenario import flatten, load_scenario, source_of

ROOT = Path(__file__).resolve().parents[1]
SOURCES = Path("docs") / "sources.md"

# A key: a lowercase letter, then lowercase letters, digits and "_", ending in the year of
# the publication or "_nd" (no date), e.g. [huaiyin2019], [xingtai_nd]. In a note (a string
# that is nothing but a citation text) any [word] is a key (KEY); in files, where [true] may be
# a default and [office] a TOML table, a key must end in a digit or "_nd" (CITED).
# Neither is part of [[tables]] or of a markdown link [text](url).
KEY = re.compile(r"(?<![\[\w])\[([a-z][a-z0-9_]*)\](?![\](])")
CITED = re.compile(r"(?<![\[\w])\[([a-z][a-z0-9_]*(?:[0-9]|_nd))\](?![\](])")
ENTRY = re.compile(r"^### \[([a-z][a-z0-9_]*(?:[0-9]|_nd))\](.*)$", re.M)
CODE_SPAN = re.compile(r"`[^`\n]*`")
FENCE = re.compile(r"^[ \t]*```.*?^[ \t]*```[^\n]*$", re.M | re.S)

# Names of this machine's paths and of the input documents that stay outside the repository.
OUTSIDE = ("/" + "work/", "/" + "root/", "/" + "home/", "../" + "shared",
           "SOURCES" + ".md", "CONTRACT" + ".md", "PERF_NOTES" + ".md", "DOMAIN" + ".md",
           "ENV_NOTES" + ".md")
# /tmp/ is fine in code and tests (temporary files) but not in what users read as documentation.
OUTSIDE_IN_DOCS = ("/" + "tmp/",)
DOC_PREFIXES = ("docs/", "scenarios/", "notebooks/", "README.md")
# Files allowed to name one of OUTSIDE for now (none: the report counts [key] citations).
PENDING: dict[str, str] = {}


def entries(root: Path) -> dict[str, bool]:
    """docs/sources.md: key -> whether the entry is marked as background (need not be cited)."""
    out: dict[str, bool] = {}
    for m in ENTRY.finditer((root / SOURCES).read_text(encoding="utf-8")):
        if m[1] in out:
            raise AssertionError(f"{SOURCES}: entry [{m[1]}] twice")
        out[m[1]] = "(background)" in m[2]
    return out


def _prose(text: str) -> str:
    """Markdown without fenced blocks and code spans (which hold TOML tables and code)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def _json_strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return [value] if isinstance(value, str) else []


def citations(path: Path) -> list[tuple[int, str]]:
    """(line, key) of every citation in a scenario, markdown, notebook or JSON file."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        md = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
        return [(0, k) for cell in md for k in CITED.findall(_prose(cell))]
    if path.suffix == ".json":
        return [(0, k) for s in _json_strings(json.loads(text)) for k in KEY.findall(s)]
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        if path.suffix == ".toml" and line.lstrip().startswith("["):
            continue                                  # a table header, not a citation
        out += [(i, k) for k in CITED.findall(CODE_SPAN.sub("", line))]
    return out


def cited_files(root: Path) -> list[Path]:
    return sorted([*root.glob("scenarios/**/*.toml"), *root.glob("docs/**/*.md"),
                   *root.glob("notebooks/**/*.ipynb"), *root.glob("calibration/**/*.json"),
                   root / "README.md"])


def check_sources(root: Path) -> list[str]:
    """Problems: keys that are not entries of docs/sources.md, entries nobody cites."""
    known = entries(root)
    problems, cited = [], set()
    for path in cited_files(root):
        rel = path.relative_to(root).as_posix()
        for line, key in citations(path):
            if key not in known:
                problems.append(f"{rel}:{line}: [{key}] is not an entry of {SOURCES}")
            elif rel != SOURCES.as_posix():
                cited.add(key)
    problems += [f"{SOURCES}: [{k}] is cited nowhere (cite it or mark it '(background)')"
                 for k, background in known.items() if k not in cited and not background]
    return problems


def outside_mentions(root: Path, files: list[str]) -> list[str]:
    """Lines of the given files that name a path of this machine or a file outside the repo."""
    problems = []
    for rel in files:
        try:
            text = (root / rel).read_text(encoding="utf-8")
        except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
            continue                                   # binary files, submodules
        banned = OUTSIDE + (OUTSIDE_IN_DOCS if rel.startswith(DOC_PREFIXES) else ())
        banned = tuple(b for b in banned if PENDING.get(rel) != b)
        for i, line in enumerate(text.splitlines(), 1):
            problems += [f"{rel}:{i}: names {b!r}" for b in banned if b in line]
    return problems


def resolved_notes(scenario) -> dict[str, str]:
    """Every resolved value's note (as sim describe shows it) and every lever's source."""
    notes = {path: source_of(scenario, path) for path in flatten(scenario)}
    notes.update({f"levers.{lv.name}.source": lv.source for lv in scenario.levers})
    return notes


def check_notes(scenario, known: dict[str, bool]) -> list[str]:
    problems = []
    for path, note in resolved_notes(scenario).items():
        problems += [f"{path}: names {b!r}" for b in OUTSIDE if b in note]
        problems += [f"{path}: [{k}] is not an entry of {SOURCES}"
                     for k in KEY.findall(note) if k not in known]
    return problems


def _copy_tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for d in ("scenarios", "docs", "notebooks", "calibration"):
        shutil.copytree(ROOT / d, root / d)
    shutil.copy(ROOT / "README.md", root / "README.md")
    return root


# ---- (a) keys resolve, entries are cited ------------------------------------------------

def test_every_cited_key_is_an_entry_and_every_entry_is_cited():
    assert len(entries(ROOT)) >= 40            # the outside figures the scenarios use
    assert check_sources(ROOT) == []


def test_the_bozhou_files_cite_keys():
    """The checker finds the citations it must find (a regex that matches nothing passes (a))."""
    keys = {k for _, k in citations(ROOT / "scenarios" / "bozhou_before.toml")}
    assert {"tianchang2024", "huaiyin2019", "ningbo2010"} <= keys
    assert not keys & {"sources", "scenario", "office", "tasks"}      # TOML tables are not keys
    assert {k for _, k in citations(ROOT / "calibration" / "bozhou_city.json")} == {
        "xingtai_nd", "ningbo2022"}


def test_check_sources_reports_a_bad_key_and_an_uncited_entry(tmp_path):
    root = _copy_tree(tmp_path)
    before = root / "scenarios" / "bozhou_before.toml"
    text = before.read_text(encoding="utf-8")
    assert text.count("[tianchang2024] 天长 355") == 1
    before.write_text(text.replace("[tianchang2024] 天长 355", "[tianchang2042] 天长 355"),
                      encoding="utf-8")
    with (root / SOURCES).open("a", encoding="utf-8") as f:
        f.write("\n### [nobody2000] An entry nobody cites\n")
    problems = check_sources(root)
    assert any(p.startswith("scenarios/bozhou_before.toml:") and "[tianchang2042]" in p
               for p in problems), problems
    assert any("[nobody2000] is cited nowhere" in p for p in problems), problems
    with (root / SOURCES).open("a", encoding="utf-8") as f:
        f.write("\n### [other2000] A background entry (background)\n")
    assert not any("[other2000]" in p for p in check_sources(root))


# ---- (b) nothing outside the repository -------------------------------------------------

def _tracked() -> list[str]:
    """Tracked files and new ones not ignored (a file about to be added counts too)."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [f for f in out.stdout.splitlines() if f != "tests/test_sources.py"]


def test_no_tracked_file_names_a_path_outside_the_repository():
    files = _tracked()
    assert "scenarios/bozhou_before.toml" in files and "docs/sources.md" in files
    assert outside_mentions(ROOT, files) == []


def test_pending_exemptions_are_still_needed():
    """Once sim/report.py counts [key] citations, its exemption above must go."""
    for rel, name in PENDING.items():
        assert name in (ROOT / rel).read_text(encoding="utf-8"), f"drop {rel} from PENDING"


def test_outside_mentions_finds_planted_paths(tmp_path):
    planted = {
        "docs/a.md": "see /" + "work/shared/domain/x.txt\n",
        "scenarios/b.toml": 'source = "' + "SOURCES" + '.md 天长"\n',
        "notebooks/c.md": "ok\nthe ../" + "shared folder\n",
        "docs/d.md": "written to /" + "tmp/x\n",
        "tests/e.py": "tmp = '/" + "tmp/x'\n",               # fine outside the docs
    }
    for rel, text in planted.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    found = outside_mentions(tmp_path, sorted(planted))
    assert [p.split(":")[0] for p in found] == ["docs/a.md", "docs/d.md", "notebooks/c.md",
                                                "scenarios/b.toml"], found
    assert found[2].startswith("notebooks/c.md:2:")


# ---- (c) the resolved Bozhou scenarios ---------------------------------------------------

BOZHOU = [p for p in sorted((ROOT / "scenarios").glob("bozhou_*.toml"))
          if p.name != "bozhou_city.toml"]
LEVER_FILE = ROOT / "scenarios" / "bozhou_levers.toml"
ONE_LEVER = [f"{LEVER_FILE}#{lv.name}" for lv in load_scenario(LEVER_FILE).levers]


@pytest.mark.parametrize("path", BOZHOU + ONE_LEVER,
                         ids=lambda p: str(p).rpartition("/")[2].removesuffix(".toml"))
def test_resolved_notes_cite_no_outside_file(path):
    scenario = load_scenario(path)
    notes = resolved_notes(scenario)
    assert len(notes) > 100                        # every value of the scenario is looked at
    assert check_notes(scenario, entries(ROOT)) == []


def test_check_notes_finds_a_planted_old_note(tmp_path):
    root = _copy_tree(tmp_path)
    before = root / "scenarios" / "bozhou_before.toml"
    text = before.read_text(encoding="utf-8")
    old = '"office.workers" = "[tianchang2024]'
    assert text.count(old) == 1
    before.write_text(text.replace(old, '"office.workers" = "' + "SOURCES" + '.md'),
                      encoding="utf-8")
    problems = check_notes(load_scenario(before), entries(ROOT))
    assert problems == ["office.workers: names 'SOURCES.md'"]
    lever = root / "scenarios" / "bozhou_levers.toml"
    text = lever.read_text(encoding="utf-8")
    lever.write_text(text.replace("[xicheng2018]", "[xicheng2081]"), encoding="utf-8")
    # the loader itself refuses a key that does not resolve (one line, exit 2 on the CLI)
    from sim.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"levers\.admission_list\.source: cites \[xicheng2081\], "
                                            r"which is not an entry of docs/sources\.md"):
        load_scenario(lever)


def test_sim_describe_shows_keys_not_outside_files():
    out = subprocess.run([sys.executable, "-m", "sim", "describe", "--wide",
                          "scenarios/bozhou_before.toml"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    row = next(line for line in out.stdout.splitlines() if line.startswith("office.workers "))
    assert "[tianchang2024] 天长 355 workers" in row
    assert not [b for b in OUTSIDE if b in out.stdout]


def test_the_report_counts_key_citations_as_cited_sources():
    """The report's data-sources table counts a note that cites ``[key]`` as a cited outside
    source: most of the Bozhou values do, and none is left to a SOURCES file name."""
    from sim.report.stress_tables import CITED, count_sources
    from sim.scenario import load_scenario

    assert CITED.search("[tianchang2024] 355 workers") and not CITED.search("[office] table")
    assert not CITED.search("see [[tasks]]") and not CITED.search("a [link](x)")
    counts = count_sources(load_scenario(ROOT / "scenarios" / "bozhou_before.toml"))
    assert counts["cited"] >= 10, counts
    assert counts["cited"] + counts["article"] + counts["estimate"] > counts["other"], counts
