"""Validation: every kind of bad scenario is one ScenarioError naming file, field and what
is allowed, never another exception.

The bad files live in ``tests/bad_scenarios/``; the first line of each is
``# expect: TEXT`` with the text (the dotted field, or ``line N``) that the error must name.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.scenario import apply_overrides, flatten, load_scenario
from sim.scenario.merge import copy

HERE = Path(__file__).parent
BAD = sorted((HERE / "bad_scenarios").glob("*.toml"))
DATA = HERE / "data"

MINIMAL = """\
[scenario]
name = "mini"

[office]
workers = 3

[[tasks]]
id = "job"
category = "core"
arrivals = { per_hour = 2.0 }
effort_hours = { dist = "exponential", mean = 1.0 }
"""


def expected(path: Path) -> str:
    first = path.read_bytes().split(b"\n", 1)[0].decode("ascii")
    m = re.fullmatch(r"# expect: (.+)", first.strip())
    assert m, f"{path.name} must start with '# expect: FIELD'"
    return m[1]


def error_of(path, overrides=None) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    return info.value


def test_there_are_enough_bad_scenarios():
    assert len(BAD) >= 30


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_scenario_is_one_clear_error(path):
    err = error_of(path)
    text = str(err)
    assert expected(path) in text
    assert "\n" not in text
    assert path.name in text
    if err.field and not expected(path).startswith("line"):
        assert expected(path) in err.field


@pytest.mark.parametrize(("path", "field", "fragment"), [
    ("unknown_nested_key.toml", "office.wokers", "did you mean 'workers'?"),
    ("unknown_task_key.toml", "tasks.job.priorty", "did you mean 'priority'?"),
    ("unknown_dispatch.toml", "office.dispatch", "(allowed: fifo, priority, edf)"),
    ("unknown_calendar.toml", "scenario.calendar", "did you mean 'weekdays'?"),
    ("unknown_dist.toml", "tasks.job.effort_hours.dist", "did you mean 'exponential'?"),
    ("bool_for_int.toml", "scenario.days", "boolean"),
    ("missing_dist_param.toml", "tasks.job.effort_hours.sd", "mean, sd"),
    ("lever_unknown_task.toml", "levers.faster.set.tasks.nosuch.priority", "no task with id"),
    ("sources_unknown_path.toml", "sources.office.wokers", "did you mean 'office.workers'?"),
    ("unknown_volunteer_kind.toml", "problems.volunteer_kinds", "'gardening'"),
    ("lever_bad_value.toml", "office.workers", "lever 'no_staff'"),
])
def test_messages_name_the_field_and_what_is_allowed(path, field, fragment):
    err = error_of(HERE / "bad_scenarios" / path)
    assert err.field == field
    assert fragment in str(err)


def test_malformed_toml_names_the_line():
    err = error_of(HERE / "bad_scenarios" / "malformed_toml.toml")
    assert "line 5" in str(err) and "column" in str(err)


def test_missing_file_and_directory(tmp_path):
    assert "not found" in str(error_of(tmp_path / "nope.toml"))
    assert "directory" in str(error_of(tmp_path))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.toml"
    path.write_text(MINIMAL)
    path.chmod(0)
    try:
        assert "permission" in str(error_of(path))
    finally:
        path.chmod(0o644)


def test_error_names_the_file_where_the_key_was_written(tmp_path):
    (tmp_path / "parent.toml").write_text(MINIMAL + '\n[admission]\napproval_probability = 2\n')
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n[office]\nworkers = 4\n')
    err = error_of(child)
    assert err.file == str(tmp_path / "parent.toml")
    assert err.field == "admission.approval_probability"
    (tmp_path / "parent.toml").write_text(MINIMAL)
    child.write_text('extends = "parent.toml"\n[office]\nworkers = -4\n')
    assert error_of(child).file == str(child)


def test_extends_errors_name_the_extends_field(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('extends = "b.toml"\n' + MINIMAL)
    b.write_text('extends = "a.toml"\n' + MINIMAL)
    err = error_of(a)
    assert err.field == "extends" and "cycle" in str(err) and "a.toml" in str(err)
    own = tmp_path / "self.toml"
    own.write_text('extends = "self.toml"\n' + MINIMAL)
    assert error_of(own).field == "extends"
    b.write_text('extends = "gone.toml"\n' + MINIMAL)
    err = error_of(a)
    assert (err.file, err.field) == (str(b), "extends") and "gone.toml" in str(err)


def test_bad_parent_file_is_named(tmp_path):
    (tmp_path / "p.toml").write_text("[office\nworkers = 1\n")
    child = tmp_path / "c.toml"
    child.write_text('extends = "p.toml"\n')
    err = error_of(child)
    assert err.file == str(tmp_path / "p.toml") and "line 1" in str(err)


@pytest.mark.parametrize(("overrides", "field", "fragment"), [
    (["tasks.nosuch.priority=1"], "tasks.nosuch.priority", "no task with id 'nosuch'"),
    (["office.wokers=1"], "office.wokers", "did you mean 'workers'?"),
    (["office.workers=0"], "office.workers", "out of range"),
    (["office.workers=true"], "office.workers", "boolean"),
    (["office.dispatch=eddf"], "office.dispatch", "did you mean 'edf'?"),
    (["office.workers.x=1"], "office.workers.x", "is a value"),
    (["levers.nope.enabled=false"], "levers.nope.enabled", "no lever named 'nope'"),
    (["extends=x.toml"], "extends", "cannot be set"),
    (["tasks.job.steps[0].role=worker"], "--set", "dotted path"),
])
def test_bad_overrides(tmp_path, overrides, field, fragment):
    path = tmp_path / "s.toml"
    path.write_text(MINIMAL)
    err = error_of(path, overrides)
    assert err.field == field
    assert fragment in str(err)


def test_bool_is_never_an_int_or_a_float(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(MINIMAL)
    s = load_scenario(path)
    for key, value in flatten(s).items():
        if type(value) in (int, float):
            with pytest.raises(ScenarioError, match="boolean"):
                apply_overrides(s, {key: True})


def test_disabled_lever_paths_are_checked_too(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(MINIMAL + '\n[levers.x]\ndescription = "d"\nsource = "s"\nenabled = false\n'
                              'set = { "tasks.nosuch.copies" = 2 }\n')
    assert error_of(path).field == "levers.x.set.tasks.nosuch.copies"


def test_lever_cannot_set_levers(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(MINIMAL + '\n[levers.x]\ndescription = "d"\nsource = "s"\n'
                              'set = { "levers.x.enabled" = false }\n')
    assert "cannot set levers" in str(error_of(path))


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 30), st.floats(allow_nan=True),
    st.text(max_size=8), st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(st.sampled_from(["dist", "mean", "every", "x"]),
                    st.sampled_from(["fixed", "week", 1, -1.0]), max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_value_anywhere_is_accepted_or_a_scenario_error(data):
    s = load_scenario(DATA / "child.toml")
    paths = list(flatten(s))
    path = data.draw(st.sampled_from(paths))
    value = data.draw(JUNK)
    try:
        out = apply_overrides(s, {path: copy(value)} if value is not None else {})
    except ScenarioError as exc:
        assert "\n" not in str(exc)
        assert exc.field
    else:
        assert out.hash
