"""``FILE#LEVER`` scenarios (one lever of a levers file) and the lever options of
``sim run``/``sim compare`` (``--levers``, ``--each-lever``, ``--all-but-one``).

The twelve one-lever files ``scenarios/lever_<name>.toml`` (each extended
``bozhou_levers.toml``, set ``scenario.name``/``name_zh``/``description`` and switched one
lever on) were replaced by ``scenarios/bozhou_levers.toml#<name>``. ``OLD`` keeps, for each
lever, what those files gave, computed with the files still in the tree (commit 18f93dd plus
the loader of this change) by::

    old = load_scenario(f"scenarios/lever_{name}.toml")
    new = load_scenario(f"scenarios/bozhou_levers.toml#{name}")
    relabel = {"scenario.name": new.scenario.name, "scenario.name_zh": new.scenario.name_zh,
               "scenario.description": new.scenario.description}
    relabelled = load_scenario(f"scenarios/lever_{name}.toml", relabel)
    fp = benchmarks.fingerprint.fingerprint(
        load_scenario(f"scenarios/lever_{name}.toml", {"scenario.days": 200}), 11, 0)
    OLD[name] = (old.hash, relabelled.hash, fp["metrics"], fp["daily"])

When the Bozhou scenarios changed on purpose (real-time meetings, office.meetings and
joint_meetings.hold_rule), the pins were recomputed from ``bozhou_levers.toml#<name>``
(``relabelled`` = its hash, the first value = its hash with the old file's labels, the
fingerprints of the same run), so they keep guarding the lever references from here on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario import apply_overrides, flatten, load_scenario

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from fingerprint import fingerprint  # noqa: E402

LEVERS = ROOT / "scenarios" / "bozhou_levers.toml"
AFTER = ROOT / "scenarios" / "bozhou_after.toml"
BEFORE = ROOT / "scenarios" / "bozhou_before.toml"

# lever: (hash of lever_<lever>.toml, its hash with the new labels, metrics and daily
# fingerprints of seed 11 replication 0 over 200 days)
OLD = {
    "admission_list": ("73e321ffb67f9c2b", "54fb76d2970e0232", "d195a061741c8b9a", "1122140bfc6987dd"),
    "fewer_assessments": ("a16dda4b38aff7f9", "d00d4f691e0bec98", "e6dde3de027ffb62", "febd55b001cf3d4b"),
    "fewer_meetings": ("5678e67cf31c32a9", "ff5bc880c0a31dd5", "4d5af88764ca336d", "5db385e7ff20d3f7"),
    "fewer_plaques": ("51f8cf11d6d8c4f8", "c730a8bde196c8da", "6aba680a86f34991", "f6d17166f8aaada9"),
    "fewer_stamps": ("6c9f063cafbd97ac", "52f7c78cc5a6040f", "18261d1b6d5d7641", "eaeab708c46e8fe9"),
    "no_duplicate_reporting": ("f8f316ef7e703b0b", "a3a5e023718e04de", "d3ee80fe143184f7", "af8c2b67e2605db0"),
    "opinion_rights": ("a3f847b5c9b48bdc", "343692bdd0a75d68", "a7f585f4ada817f6", "9be935e84825d891"),
    "part_time_members": ("7bb34d1f2428155e", "e5e2b6fe88868222", "966afc17b47199c8", "bb79728acacb655a"),
    "red_black_list": ("9bbd4466a1cc0bf0", "6fdc665088d45c36", "1e05daec0883eb6f", "2d7f74fe5ad020b9"),
    "red_property": ("bd1a630de2408829", "a68e8ed4464af6ff", "a0db418c5d6807d3", "38de0d5a6b54ac6c"),
    "refocus_on_residents": ("bee824af4d66036d", "f6f53e33d649cdd8", "12b492d2656e6300", "728cbe6fb5ae9bd2"),
    "slim_ledger_catalogue": ("701c94a470d05fd0", "cb940b5dd6e1ceed", "fc237033d8f1b967", "869d0d4e0c1200b8"),
}


def _old_labels(name: str) -> dict[str, str]:
    """The labels the file lever_<name>.toml wrote."""
    return {"scenario.name": f"Bozhou lever {name}",
            "scenario.name_zh": f"亳州减负单项措施:{name}",
            "scenario.description": f"bozhou_before.toml with only the lever {name} switched on "
                                    "(see bozhou_levers.toml)."}


def test_every_lever_of_the_levers_file_is_covered():
    assert sorted(s.name for s in load_scenario(LEVERS).levers) == sorted(OLD)


@pytest.mark.parametrize("name", sorted(OLD))
def test_file_hash_lever_is_the_old_one_lever_file(name):
    old_hash, relabelled, metrics, daily = OLD[name]
    new = load_scenario(f"{LEVERS}#{name}")
    assert new.scenario.name == f"bozhou_levers#{name}"
    assert [lv.name for lv in new.levers if lv.enabled] == [name]
    assert new.hash == relabelled
    # with the old file's labels, the very same scenario as the old file
    assert apply_overrides(new, _old_labels(name)).hash == old_hash
    fp = fingerprint(load_scenario(f"{LEVERS}#{name}", {"scenario.days": 200}), 11, 0)
    assert (fp["metrics"], fp["daily"]) == (metrics, daily)


def _content(sc) -> dict:
    return {k: v for k, v in flatten(sc).items() if not k.startswith("scenario.")}


def test_lists_and_removals_match_switching_levers_with_set():
    both = load_scenario(f"{AFTER}#fewer_meetings,red_property")
    names = [lv.name for lv in load_scenario(AFTER).levers]
    off = {f"levers.{n}.enabled": n in ("fewer_meetings", "red_property") for n in names}
    assert _content(both) == _content(load_scenario(AFTER, off))
    minus = load_scenario(f"{AFTER}#-red_property")
    assert _content(minus) == _content(load_scenario(AFTER, {"levers.red_property.enabled": False}))
    assert _content(minus) != _content(load_scenario(AFTER))


@pytest.mark.parametrize("args, fragment", [
    (["compare", "{before}", "{levers}#fewer_meetngs"],
     "levers.toml: levers.fewer_meetngs: no lever named 'fewer_meetngs' (did you mean 'fewer_meetings'?)"),
    (["run", "{levers}#fewer_meetings,"], "#LEVER"),
    (["run", "{levers}#a,-b"], "mixes levers"),
    (["run", "{before}#fewer_meetings"], "no lever named 'fewer_meetings'"),
    (["run", "{levers}", "--levers", "red_propety"], "did you mean 'red_property'?"),
    (["run", "{levers}#red_property", "--levers", "red_property"], "--levers"),
    (["run", "{missing}#red_property"], "scenario file not found"),
    (["compare", "{before}", "{after}", "{after}", "--each-lever"], "--each-lever"),
    (["compare", "{before}", "{before}", "--each-lever"], "defines no lever"),
    (["compare", "{before}", "{levers}", "--all-but-one"], "switches no lever on"),
])
def test_bad_lever_input_exits_2_with_one_line(tmp_path, capsys, args, fragment):
    paths = {"before": BEFORE, "after": AFTER, "levers": LEVERS, "missing": tmp_path / "no.toml"}
    args = [a.format(**{k: str(v) for k, v in paths.items()}) for a in args]
    assert main([*args, "--replications", "1", "--no-progress"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err
    assert fragment in err


def _sim(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


def test_each_lever_and_all_but_one_in_one_command():
    p = _sim("compare", "scenarios/bozhou_before.toml", "scenarios/bozhou_after.toml",
             "--each-lever", "--all-but-one", "--replications", "2", "--seed", "3",
             "--set", "scenario.days=30", "--json", "--no-progress")
    assert p.returncode == 0, p.stderr
    obj = json.loads(p.stdout)
    names = [r["scenario"]["name"] for r in obj["runs"]]
    levers = [lv.name for lv in load_scenario(AFTER).levers]
    assert names == (["Bozhou before"] + [f"bozhou_after#{n}" for n in levers] + ["Bozhou after"]
                     + [f"bozhou_after#-{n}" for n in levers])
    assert {r["seed"] for r in obj["runs"]} == {3}   # common random numbers: one seed
    assert len(obj["differences"]) == len(names) - 1
    # the lever alone is the same scenario as FILE#LEVER given by hand
    alone = _sim("compare", "scenarios/bozhou_before.toml", "scenarios/bozhou_after.toml#fewer_meetings",
                 "--replications", "2", "--seed", "3", "--set", "scenario.days=30", "--json",
                 "--no-progress")
    assert alone.returncode == 0, alone.stderr
    i = names.index("bozhou_after#fewer_meetings")
    assert json.loads(alone.stdout)["runs"][1]["metrics"] == obj["runs"][i]["metrics"]


def test_the_reference_is_the_scenario_path_so_out_and_resume_work(tmp_path):
    args = ["scenarios/bozhou_before.toml", "scenarios/bozhou_levers.toml#red_property",
            "--set", "scenario.days=20", "--json", "--no-progress"]
    first = _sim("compare", *args, "--replications", "2", "--out", str(tmp_path / "o"))
    assert first.returncode == 0, first.stderr
    more = _sim("compare", *args, "--replications", "3", "--resume", str(tmp_path / "o"))
    assert more.returncode == 0, more.stderr
    runs = json.loads(more.stdout)["runs"]
    assert runs[1]["scenario"]["path"] == "scenarios/bozhou_levers.toml#red_property"
    assert [r["replications"] for r in runs] == [3, 3]
    # the resumed run is the same scenario (name, path, hash) as the first call
    assert json.loads(first.stdout)["runs"][1]["scenario"] == runs[1]["scenario"]
