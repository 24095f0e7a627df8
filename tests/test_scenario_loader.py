"""Loading scenarios: conversions, inheritance, levers, overrides, hash and inspection.

Written to read as examples of the API of ``sim.scenario`` (see docs/scenario-format.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import subprocess
import sys
import time
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.scenario import (
    apply_overrides,
    flatten,
    load_scenario,
    parse_set,
    scenario_diff,
    scenario_from_dict,
    source_of,
)
from sim.scenario.model import Dist, Scenario, Step

DATA = Path(__file__).parent / "data"
MMC = DATA / "mmc.toml"
PARENT = DATA / "parent.toml"
CHILD = DATA / "child.toml"
CHILD_WORKERS = DATA / "child_workers.toml"

MINIMAL = """\
[scenario]
name = "mini"
calendar = "always"

[office]
workers = 3

[[tasks]]
id = "job"
category = "core"
arrivals = { per_hour = 2.0 }
effort_hours = { dist = "exponential", mean = 1.0 }
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def mini(tmp_path: Path, extra: str = "", task_extra: str = "") -> Scenario:
    return load_scenario(write(tmp_path, "mini.toml", MINIMAL + task_extra + "\n" + extra))


# ---- the contract's minimum ---------------------------------------------------------------

def test_contract_minimal_mmc_loads_with_the_values_written():
    s = load_scenario(MMC)
    assert s.name == "M/M/10"
    assert (s.scenario.days, s.scenario.warmup_days, s.scenario.calendar, s.scenario.seed) == (
        365, 0, "always", 1)
    assert (s.office.workers, s.office.dispatch) == (10, "fifo")
    (job,) = s.tasks
    assert job.id == job.name == "job"
    assert job.category == "core"
    assert job.arrivals.rate_per_hour == 9.0
    assert (job.arrivals.rate_key, job.arrivals.rate_value) == ("per_hour", 9.0)
    assert job.steps == (Step("worker", Dist("exponential", MappingProxyType({"mean": 1.0}))),)
    assert len(s.hash) == 16 and int(s.hash, 16) >= 0
    assert s.path == str(MMC)


def test_defaults_are_filled_in():
    s = load_scenario(MMC)
    assert s.scenario.start_date == dt.date(2019, 1, 1)
    assert s.scenario.replications == 10
    assert s.calendar.office_hours == ((8.5, 12.0), (14.5, 18.0))
    assert s.office.secretary is True and s.office.overtime_hours_max_per_day == 0.0
    assert s.admission.enabled is False and s.admission.approval_probability == 0.2
    assert s.problems.property_company_days == Dist("exponential", {"mean": 3.0})
    assert s.volunteers.windows[0].weekdays == (0, 1, 2, 3, 4)
    assert s.joint_meetings.schedule.day == 20 and s.joint_meetings.schedule.time_hours == 15.0
    assert s.tasks[0].arrivals.seasonality == (1.0,) * 12
    assert s.resolved["office"]["overtime_threshold_hours"] == 8.0


def test_sim_load_scenario_is_lazy():
    code = ("import sys, sim; assert 'sim.scenario' not in sys.modules; "
            f"s = sim.load_scenario({str(MMC)!r}); print(s.office.workers)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "10"


def test_loading_is_fast():
    load_scenario(CHILD)
    start = time.perf_counter()
    for _ in range(20):
        load_scenario(CHILD)
    assert (time.perf_counter() - start) / 20 < 0.05


# ---- conversions --------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "hours"), [
    ("per_hour", 1.0), ("per_day", 24.0), ("per_week", 168.0),
    ("per_month", 24 * 365 / 12), ("per_year", 24 * 365.0),
])
def test_rates_become_per_hour(tmp_path, key, hours):
    text = MINIMAL.replace("per_hour = 2.0", f"{key} = 6")
    a = load_scenario(write(tmp_path, "r.toml", text)).tasks[0].arrivals
    assert a.rate_per_hour == pytest.approx(6 / hours)
    assert (a.rate_key, a.rate_value) == (key, 6.0)


def test_office_hours_windows_weekdays_waves_and_dates(tmp_path):
    s = mini(tmp_path, extra="""
[calendar]
office_hours = ["8:00-12:00", "13:30-17:30"]
extra_holidays = ["2019-05-02", 2019-05-03]
[volunteers]
windows = ["sat-sun 09:00-12:00", "mon,wed 19:00-21:30", "fri 18:00-24:00"]
""", task_extra="""
[[tasks]]
id = "meeting"
category = "meeting"
arrivals = { schedule = { every = "week", weekday = "thu", time = "15:30" }, waves = [{ start = "12-01", days = 10, count = 4 }] }
effort_hours = { dist = "triangular", low = 1, mode = 2, high = 4 }
""")
    assert s.calendar.office_hours == ((8.0, 12.0), (13.5, 17.5))
    assert s.calendar.extra_holidays == (dt.date(2019, 5, 2), dt.date(2019, 5, 3))
    assert [(w.weekdays, w.start_hours, w.end_hours) for w in s.volunteers.windows] == [
        ((5, 6), 9.0, 12.0), ((0, 2), 19.0, 21.5), ((4,), 18.0, 24.0)]
    m = s.task("meeting").arrivals
    assert (m.schedule.every, m.schedule.weekday, m.schedule.time_hours) == ("week", 3, 15.5)
    assert m.rate_per_hour == 0.0 and m.rate_key is None
    assert (m.waves[0].start_month, m.waves[0].start_day, m.waves[0].days) == (12, 1, 10)
    assert s.resolved["calendar"]["office_hours"] == ("08:00-12:00", "13:30-17:30")


def test_date_as_string_or_toml_date_is_the_same_content(tmp_path):
    a = mini(tmp_path).hash
    b = load_scenario(write(tmp_path, "b.toml", MINIMAL.replace(
        'calendar = "always"', 'calendar = "always"\nstart_date = "2019-01-01"')))
    c = load_scenario(write(tmp_path, "c.toml", MINIMAL.replace(
        'calendar = "always"', 'calendar = "always"\nstart_date = 2019-01-01')))
    assert a == b.hash == c.hash
    assert b.scenario.start_date == dt.date(2019, 1, 1)


def test_tasks_are_enabled_ones_sorted_by_id_and_steps_default_to_one_worker_step(tmp_path):
    s = mini(tmp_path, task_extra="""
[[tasks]]
id = "alpha"
category = "opinion"
arrivals = { per_day = 1 }
steps = [{ effort_hours = { dist = "fixed", value = 1 } },
         { role = "secretary", effort_hours = { dist = "uniform", low = 0, high = 1 } }]
[[tasks]]
id = "off"
enabled = false
category = "other"
arrivals = { per_day = 1 }
effort_hours = { dist = "fixed", value = 1 }
""")
    assert [t.id for t in s.tasks] == ["alpha", "job"]
    assert [st.role for st in s.task("alpha").steps] == ["worker", "secretary"]
    assert s.task("alpha").name == "alpha"
    assert "off" in {t["id"] for t in s.resolved["tasks"]}


def test_scenario_is_immutable():
    s = load_scenario(PARENT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.office.workers = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        s.resolved["office"]["workers"] = 3  # type: ignore[index]
    with pytest.raises(TypeError):
        s.sources["x"] = "y"  # type: ignore[index]
    assert isinstance(s.task("opinion").steps, tuple)
    assert isinstance(s.levers[0].set, MappingProxyType)


def test_scenario_from_dict_matches_the_file():
    import tomllib

    data = tomllib.loads(MMC.read_text(encoding="utf-8"))
    assert scenario_from_dict(data).hash == load_scenario(MMC).hash
    child = {"extends": "parent.toml", "office": {"workers": 7}}
    assert scenario_from_dict(child, path=str(DATA / "x.toml")).hash == load_scenario(
        CHILD_WORKERS).hash


# ---- inheritance ----------------------------------------------------------------------------

def test_child_overriding_one_key_differs_only_there():
    parent, child = load_scenario(PARENT), load_scenario(CHILD_WORKERS)
    assert scenario_diff(parent, child) == [("office.workers", 6, 7)]
    assert parent.hash != child.hash


def test_child_merges_tasks_by_id_and_can_switch_one_off():
    parent, child = load_scenario(PARENT), load_scenario(CHILD)
    assert "assessment" in [t.id for t in parent.tasks]
    assert "assessment" not in [t.id for t in child.tasks]
    assert [t.id for t in child.tasks] == [
        "certificate", "ledger_report", "opinion", "repair", "weekly_meeting"]
    opinion = child.task("opinion")  # merged: the child's deadline, the parent's steps
    assert opinion.deadline_working_days == 3
    assert opinion.steps == parent.task("opinion").steps
    assert opinion.name_zh == "征求意见"
    ledger = child.task("ledger_report").arrivals  # per_month replaces the parent's per_week
    assert (ledger.rate_key, ledger.rate_value) == ("per_month", 6.0)
    assert ledger.seasonality == parent.task("ledger_report").arrivals.seasonality


def test_other_arrays_are_replaced_whole(tmp_path):
    write(tmp_path, "p.toml", MINIMAL + """
[calendar]
office_hours = ["08:00-12:00", "14:00-18:00"]
[volunteers]
windows = ["mon-fri 19:00-21:00", "sat-sun 09:00-12:00"]
""")
    s = load_scenario(write(tmp_path, "c.toml", """
extends = "p.toml"
[calendar]
office_hours = ["09:00-17:00"]
[volunteers]
windows = ["sat 10:00-11:00"]
"""))
    assert s.calendar.office_hours == ((9.0, 17.0),)
    assert len(s.volunteers.windows) == 1


def test_a_distribution_of_another_kind_replaces_the_parents(tmp_path):
    write(tmp_path, "p.toml", MINIMAL.replace(
        '{ dist = "exponential", mean = 1.0 }', '{ dist = "lognormal", mean = 2.0, sd = 1.0 }'))
    c1 = load_scenario(write(tmp_path, "c1.toml", """
extends = "p.toml"
[[tasks]]
id = "job"
effort_hours = { dist = "fixed", value = 0.5 }
"""))
    assert c1.tasks[0].steps[0].effort_hours == Dist("fixed", {"value": 0.5})
    c2 = load_scenario(write(tmp_path, "c2.toml", """
extends = "p.toml"
[[tasks]]
id = "job"
effort_hours = { mean = 3.0 }
"""))
    assert c2.tasks[0].steps[0].effort_hours == Dist("lognormal", {"mean": 3.0, "sd": 1.0})


def test_chains_and_paths_relative_to_each_file(tmp_path):
    write(tmp_path, "base/root.toml", MINIMAL)
    write(tmp_path, "base/mid.toml", 'extends = "root.toml"\n[office]\nworkers = 4\n')
    leaf = write(tmp_path, "leaf/leaf.toml",
                 'extends = "../base/mid.toml"\n[scenario]\nname = "leaf"\n')
    s = load_scenario(leaf)
    assert (s.name, s.office.workers, s.tasks[0].id) == ("leaf", 4, "job")


# ---- levers and overrides -------------------------------------------------------------------

def test_levers_apply_and_a_child_can_switch_an_inherited_lever_off():
    parent, child = load_scenario(PARENT), load_scenario(CHILD)
    assert parent.task("ledger_report").effort_factor == 0.5   # lever on in the parent
    assert child.task("ledger_report").effort_factor == 1.0    # switched off in the child
    assert child.admission.pushed_anyway_share == 0.1          # the child's own lever
    assert child.task("ledger_report").copies == 1
    assert [(lv.name, lv.enabled) for lv in child.levers] == [
        ("electronic_ledgers", False), ("admission_list", True)]


def test_levers_apply_in_order(tmp_path):
    s = mini(tmp_path, extra="""
[levers.first]
description = "a"
source = "estimate"
set = { "office.workers" = 5 }
[levers.second]
description = "b"
source = "estimate"
set = { office.workers = 6 }
""")
    assert s.office.workers == 6


def test_set_addresses_tasks_by_id_and_applies_after_levers():
    s = load_scenario(CHILD, ["tasks.ledger_report.copies=4", "tasks.opinion.priority=9",
                              "office.dispatch=edf"])
    assert s.task("ledger_report").copies == 4  # the lever set 1; --set comes later
    assert s.task("opinion").priority == 9
    assert s.office.dispatch == "edf"


def test_set_can_switch_levers_before_they_apply():
    off = load_scenario(CHILD, {"levers.admission_list.enabled": False,
                                "levers.electronic_ledgers.enabled": True})
    assert off.admission.pushed_anyway_share == 0.0
    assert off.task("ledger_report").effort_factor == 0.5


def test_apply_overrides_is_load_with_overrides():
    child = load_scenario(CHILD)
    for ov in ({"office.workers": 3}, {"levers.admission_list.enabled": False},
               {"tasks.opinion.deadline_working_days": 1, "volunteers.teams": 0}):
        assert apply_overrides(child, ov).hash == load_scenario(CHILD, ov).hash
    twice = apply_overrides(apply_overrides(child, {"office.workers": 3}), {"volunteers.teams": 5})
    assert twice.hash == load_scenario(CHILD, {"office.workers": 3, "volunteers.teams": 5}).hash
    assert apply_overrides(child, {}).hash == child.hash
    with pytest.raises(ScenarioError, match=r"office\.workers"):
        apply_overrides(child, {"office.workers": 0})


def test_set_of_one_rate_or_of_steps_replaces_the_exclusive_key():
    child = load_scenario(CHILD)
    s = apply_overrides(child, {"tasks.ledger_report.arrivals.per_week": 3})
    assert s.task("ledger_report").arrivals.rate_key == "per_week"
    s = apply_overrides(child, {"tasks.opinion.effort_hours": {"dist": "fixed", "value": 1}})
    assert s.task("opinion").steps == (Step("worker", Dist("fixed", {"value": 1.0})),)


@pytest.mark.parametrize(("text", "expected"), [
    ("office.workers=8", ("office.workers", 8)),
    ("office.dispatch=edf", ("office.dispatch", "edf")),
    ("tasks.opinion.deadline_working_days = 3", ("tasks.opinion.deadline_working_days", 3)),
    ("admission.enabled=true", ("admission.enabled", True)),
    ("scenario.start_date=2020-01-01", ("scenario.start_date", dt.date(2020, 1, 1))),
    ('scenario.name="a b"', ("scenario.name", "a b")),
    ("scenario.name=a=b", ("scenario.name", "a=b")),
    ('calendar.office_hours=["09:00-17:00"]', ("calendar.office_hours", ["09:00-17:00"])),
    ("x.y=", ("x.y", "")),
])
def test_parse_set(text, expected):
    assert parse_set(text) == expected


@pytest.mark.parametrize("text", ["office.workers", "=3", "a..b=1", "a b=1", ".a=1"])
def test_parse_set_rejects_malformed(text):
    with pytest.raises(ScenarioError) as info:
        parse_set(text)
    assert info.value.field == "--set"


# ---- hash, flatten, diff, sources --------------------------------------------------------------

PARTS = {
    "scenario": [("name", '"prop"'), ("days", "100"), ("seed", "3"),
                 ("start_date", "2019-06-01")],
    "office": [("workers", "4"), ("dispatch", '"edf"'), ("overtime_hours_max_per_day", "1.5")],
    "volunteers": [("teams", "2"), ("turnout", "0.25")],
}
TASK_PARTS = [("id", '"job"'), ("category", '"ledger"'), ("arrivals", "{ per_week = 3 }"),
              ("effort_hours", '{ dist = "gamma", mean = 2, sd = 1 }'), ("priority", "2")]
TASK2_PARTS = [("id", '"aaa"'), ("category", '"core"'), ("arrivals", "{ per_day = 1 }"),
               ("effort_hours", '{ dist = "fixed", value = 1 }')]
DEFAULTS = [("office", "secretary", "true"), ("office", "overtime_threshold_hours", "8"),
            ("scenario", "calendar", '"weekdays"'), ("scenario", "warmup_days", "0"),
            ("admission", "approval_probability", "0.2"), ("volunteers", "members_per_team", "10"),
            ("calendar", "office_hours", '["8:30-12:00", "14:30-18:00"]'),
            ("problems", "property_company_days", '{ mean = 3 }'),
            ("joint_meetings", "schedule", '{ every = "month", day = 20, time = "15:00" }')]


def render(rng: random.Random, defaults: list[tuple[str, str, str]]) -> str:
    """The same scenario as TOML, with keys and tables in a random order, random spacing and
    comments, and some keys written with their default values."""
    tables = {k: list(v) for k, v in PARTS.items()}
    for table, key, value in defaults:
        tables.setdefault(table, []).append((key, value))

    def sp() -> str:
        return rng.choice(["", " ", "  ", "\t"])

    def comment() -> str:
        return rng.choice(["", "", f"{sp()}# note {rng.randint(0, 99)}"])

    def lines(pairs: list[tuple[str, str]]) -> str:
        pairs = pairs[:]
        rng.shuffle(pairs)
        return "".join(f"{sp()}{k}{sp()}={sp()}{v}{comment()}\n" + rng.choice(["", "\n"])
                       for k, v in pairs)

    chunks = [f"[{name}]{comment()}\n{lines(pairs)}" for name, pairs in tables.items()]
    chunks += [f"[[tasks]]\n{lines(TASK_PARTS)}", f"[[tasks]]\n{lines(TASK2_PARTS)}"]
    rng.shuffle(chunks)
    return rng.choice(["", "# a scenario\n"]) + "\n".join(chunks)


REFERENCE = None


def reference_hash() -> str:
    global REFERENCE
    if REFERENCE is None:
        REFERENCE = scenario_from_dict(_toml(render(random.Random(0), []))).hash
    return REFERENCE


def _toml(text: str) -> dict:
    import tomllib

    return tomllib.loads(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.lists(st.sampled_from(DEFAULTS), unique=True))
def test_hash_ignores_order_whitespace_comments_and_written_defaults(rng, defaults):
    text = render(rng, defaults)
    assert scenario_from_dict(_toml(text)).hash == reference_hash(), text


CHANGES = [("office.workers", 5), ("office.dispatch", "priority"), ("scenario.days", 101),
           ("tasks.job.priority", 3), ("tasks.job.arrivals.per_week", 3.5),
           ("tasks.aaa.effort_hours.value", 2.0), ("volunteers.turnout", 0.3),
           ("scenario.start_date", dt.date(2019, 6, 2)), ("tasks.job.enabled", False),
           ("calendar.office_hours", ("09:00-12:00",)), ("problems.managed_estate_share", 0.5)]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(CHANGES), unique_by=lambda c: c[0], max_size=4))
def test_hash_changes_exactly_when_resolved_content_changes(changes):
    base = scenario_from_dict(_toml(render(random.Random(0), [])))
    changed = apply_overrides(base, dict(changes))
    diff = scenario_diff(base, changed)
    assert sorted(p for p, _, _ in diff) == sorted(p for p, _ in changes)
    assert (changed.hash == base.hash) == (not changes)
    for path, value in changes:
        assert flatten(changed)[path] == value


def test_citations_and_lever_descriptions_do_not_change_the_hash(tmp_path):
    plain = mini(tmp_path)
    cited = load_scenario(write(tmp_path, "cited.toml", MINIMAL.replace(
        "workers = 3", 'workers = 3\nsource = "a citation"') + '\n[sources]\n"office.workers" = "x"\n'))
    assert cited.hash == plain.hash
    lever = '\n[levers.l]\ndescription = "{}"\nsource = "{}"\nset = {{ "office.workers" = 3 }}\n'
    a = load_scenario(write(tmp_path, "a.toml", MINIMAL + lever.format("one", "s1")))
    b = load_scenario(write(tmp_path, "b.toml", MINIMAL + lever.format("two", "s2")))
    assert a.hash == b.hash != plain.hash


def test_flatten_addresses_tasks_by_id_and_leaves_out_citations():
    flat = flatten(load_scenario(PARENT))
    assert flat["office.workers"] == 6
    assert flat["tasks.opinion.deadline_working_days"] == 5
    assert flat["tasks.opinion.steps[1].role"] == "secretary"
    assert flat["tasks.ledger_report.arrivals.seasonality"][-1] == 2.0
    assert flat["levers.electronic_ledgers.set"] == {"tasks.ledger_report.effort_factor": 0.5}
    assert not any(p.endswith(".source") or p.startswith("sources") for p in flat)
    assert not any("description" in p and p.startswith("levers") for p in flat)
    assert next(iter(flat)) == "scenario.name"


def test_diff_of_a_scenario_with_itself_is_empty():
    assert scenario_diff(load_scenario(CHILD), load_scenario(CHILD)) == []


def test_source_of_follows_the_lookup_order():
    s = load_scenario(CHILD)
    assert source_of(s, "office.workers").startswith("[tianchang2024]")     # [sources] entry
    assert source_of(s, "office.dispatch") == "estimate"                   # the table's note
    assert source_of(s, "tasks.opinion.priority") == "Bozhou article"      # the task's note
    assert source_of(s, "tasks.opinion.steps[0].effort_hours.low") == "Bozhou article"
    assert source_of(s, "volunteers.teams") == "unspecified"


def test_model_defaults_are_the_schemas():
    # defaults are written once, in the schema; the frozen model derives its own (some in
    # another form: hours, objects). A scenario that gives nothing optional must build to
    # exactly the objects the dataclasses make with their defaults.
    from sim.calendar import CALENDAR_KINDS
    from sim.scenario import model as M
    from sim.scenario import vocabulary

    sc = scenario_from_dict({
        "scenario": {"name": "defaults"}, "office": {"workers": 2},
        "tasks": [{"id": "t", "category": "core", "arrivals": {"per_day": 1.0},
                   "effort_hours": {"dist": "fixed", "value": 1.0}}]})
    assert sc.scenario == M.ScenarioMeta("defaults")
    assert sc.calendar == M.CalendarSpec()
    assert sc.office == M.Office(2)
    assert sc.admission == M.Admission()
    assert sc.problems == M.ProblemRouting()
    assert sc.volunteers == M.Volunteers()
    assert sc.joint_meetings == M.JointMeetings()
    task = sc.tasks[0]
    assert task == M.TaskType("t", "core", M.Arrivals(1.0 / 24.0, "per_day", 1.0), task.steps,
                              name="t")
    every_week = scenario_from_dict({**sc.base, "joint_meetings": {
        "enabled": True, "schedule": {"every": "week"}}})
    assert every_week.joint_meetings.schedule == M.Schedule("week")
    # the calendar layer keeps its own list of kinds (it may not import the scenario layer)
    assert CALENDAR_KINDS == vocabulary.CALENDAR_KINDS
