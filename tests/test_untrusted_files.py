"""Scenario, parent and city files are untrusted: special files, huge files, odd paths, long
``extends`` chains and deep nesting give exit 2 with one line on stderr, within seconds
(sim.scenario.files)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import one_error, sim

from sim.scenario.files import MAX_EXTENDS_DEPTH, MAX_FILE_BYTES, MAX_NESTING, nesting

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "tests" / "data" / "mmc.toml"




def child(tmp_path, extends, name="child.toml"):
    p = tmp_path / name
    p.write_text(f'extends = {extends}\n[scenario]\nname = "c"\n', encoding="utf-8")
    return p


def run_sub(*args, timeout=30):
    """The real command line in a subprocess, with a timeout: a hang fails the test."""
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "sim", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    return proc, time.monotonic() - t0


def test_fifo_as_parent_is_refused_without_hanging(tmp_path):
    os.mkfifo(tmp_path / "pipe.toml")
    c = child(tmp_path, '"pipe.toml"')
    proc, secs = run_sub("validate", c)
    one_error(proc.returncode, proc.stderr, "pipe.toml", "FIFO")
    assert secs < 20


@pytest.mark.parametrize("cmd", ["validate", "run", "describe", "check"])
def test_fifo_as_the_scenario_is_refused_without_hanging(tmp_path, cmd):
    os.mkfifo(tmp_path / "s.toml")
    proc, secs = run_sub(cmd, tmp_path / "s.toml")
    line = one_error(proc.returncode, proc.stderr, "s.toml")
    assert "FIFO" in line or "not a regular file" in line
    assert secs < 20


def test_device_as_parent_is_refused_at_once(tmp_path, capsys):
    c = child(tmp_path, '"/dev/zero"')
    t0 = time.monotonic()
    rc, _, err = sim(capsys, "validate", c)
    one_error(rc, err, "/dev/zero", "character device")
    assert time.monotonic() - t0 < 5


def test_directory_as_parent(tmp_path, capsys):
    (tmp_path / "d.toml").mkdir()
    rc, _, err = sim(capsys, "validate", child(tmp_path, '"d.toml"'))
    one_error(rc, err, "d.toml", "directory")


def test_file_over_the_size_cap_is_refused_unread(tmp_path, capsys):
    big = tmp_path / "big.toml"
    with open(big, "wb") as fh:      # sparse: MAX + 1 bytes without writing them
        fh.truncate(MAX_FILE_BYTES + 1)
    rc, _, err = sim(capsys, "validate", child(tmp_path, '"big.toml"'))
    one_error(rc, err, "big.toml", "larger than the limit", str(MAX_FILE_BYTES))
    # a file at the cap is read (and then judged on its content: here, not a scenario)
    with open(big, "r+b") as fh:
        fh.truncate(MAX_FILE_BYTES)
    rc, _, err = sim(capsys, "validate", big)
    line = one_error(rc, err, "big.toml")
    assert "larger than the limit" not in line


@pytest.mark.parametrize("path", ['"a\\u0000b.toml"', '"\\u0000"'])
def test_nul_in_extends_path(tmp_path, capsys, path):
    rc, _, err = sim(capsys, "validate", child(tmp_path, path))
    one_error(rc, err, "extends", "NUL")


def test_nul_in_scenario_path(capsys):
    rc, _, err = sim(capsys, "validate", "a\0b.toml")
    one_error(rc, err, "NUL")
    rc, _, err = sim(capsys, "run", "a\0b.toml")
    one_error(rc, err, "NUL")


def _chain(directory, parents):
    """A file with ``parents`` ancestors, the last of them tests/data/mmc.toml."""
    directory.mkdir()
    names = [directory / f"f{i:03d}.toml" for i in range(parents)]
    for i, p in enumerate(names):
        target = names[i + 1].name if i + 1 < len(names) else str(MMC)
        p.write_text(f"extends = {target!r}\n", encoding="utf-8")
    return names[0]


def test_extends_chain_depth_is_capped(tmp_path, capsys):
    # the cap itself is accepted: the file plus MAX_EXTENDS_DEPTH ancestors (mmc.toml the last)
    rc, out, err = sim(capsys, "validate", _chain(tmp_path / "ok", MAX_EXTENDS_DEPTH))
    assert rc == 0 and out.startswith("OK"), err
    t0 = time.monotonic()
    rc, _, err = sim(capsys, "validate", _chain(tmp_path / "long", 500))
    one_error(rc, err, "extends", f"longer than {MAX_EXTENDS_DEPTH}")
    assert time.monotonic() - t0 < 10
    rc, _, err = sim(capsys, "validate", _chain(tmp_path / "one", MAX_EXTENDS_DEPTH + 1))
    one_error(rc, err, f"longer than {MAX_EXTENDS_DEPTH}")


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 330, 5000])
def test_deep_nesting_is_refused(tmp_path, capsys, depth):
    for text in ("x = " + "{a = " * depth + "1" + "}" * depth,
                 "x = " + "[" * depth + "]" * depth,
                 "a" + ".a" * depth + " = 1"):
        p = tmp_path / "deep.toml"
        p.write_text(text + "\n", encoding="utf-8")
        rc, _, err = sim(capsys, "validate", p)
        one_error(rc, err, "deep.toml", f"nested more than {MAX_NESTING}")


def test_nesting_at_the_cap_is_parsed(tmp_path, capsys):
    """MAX_NESTING levels parse; the file is then refused for its content (unknown key x)."""
    depth = MAX_NESTING - 1          # the top-level table is one level
    p = tmp_path / "deep.toml"
    p.write_text("x = " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    rc, _, err = sim(capsys, "validate", p)
    line = one_error(rc, err, "deep.toml")
    assert "nested" not in line and "x" in line


def test_nesting_measure():
    assert nesting(1) == 0
    assert nesting({"a": [{"b": 1}]}) == 3
    assert nesting({"a": 1, "b": {"c": {"d": []}}}) == 4


def test_deep_set_value_is_refused(capsys):
    rc, _, err = sim(capsys, "validate", MMC, "--set", "office.workers=" + "[" * 400 + "]" * 400)
    one_error(rc, err, "--set", "nested")


def test_city_file_as_fifo_and_city_community_as_device(tmp_path, capsys):
    city = (ROOT / "scenarios" / "bozhou_city.toml").read_text(encoding="utf-8")
    assert 'community = "bozhou_after.toml"' in city
    p = tmp_path / "city.toml"
    p.write_text(city.replace('community = "bozhou_after.toml"', 'community = "/dev/zero"')
                 .replace('before = "bozhou_before.toml"',
                          f'before = "{ROOT / "scenarios" / "bozhou_before.toml"}"'),
                 encoding="utf-8")
    t0 = time.monotonic()
    rc, _, err = sim(capsys, "validate", p)
    one_error(rc, err, "city.toml", "city.community")
    assert time.monotonic() - t0 < 10
    os.mkfifo(tmp_path / "cityfifo.toml")
    proc, secs = run_sub("run", tmp_path / "cityfifo.toml")
    one_error(proc.returncode, proc.stderr, "cityfifo.toml")
    assert secs < 20


# -- values of disabled levers are validated too ----------------------------------------------

LEVER = """extends = {parent!r}
[levers.off]
description = "a lever that is switched off"
source = "test"
enabled = false
set = {{ {key} = {value} }}
"""


@pytest.mark.parametrize(("key", "value", "fragment"), [
    ('"office.workers"', "-5", "out of range"),
    ('"office.workers"', "nan", "expected an integer"),
    ('"tasks.job.arrivals.per_hour"', "nan", "not a finite number"),
    ('"tasks.job.arrivals.per_hour"', "inf", "not a finite number"),
    ('"tasks.job.effort_hours.mean"', "1e300", "out of range"),
    ('"tasks.job.effort_hours"', '{ dist = "exponential", mean = -inf }', "not a finite"),
    ('"office"', "{ workers = 1e7 }", "expected an integer"),
    ('"office"', '{ dispatch = "lifo" }', "unknown value"),
])
def test_disabled_lever_values_are_validated(tmp_path, capsys, key, value, fragment):
    p = tmp_path / "lever.toml"
    p.write_text(LEVER.format(parent=str(MMC), key=key, value=value), encoding="utf-8")
    rc, _, err = sim(capsys, "validate", p)
    one_error(rc, err, "lever.toml", "levers.off.set.", fragment)
    rc, _, err = sim(capsys, "run", p, "--replications", "1")
    one_error(rc, err, "levers.off.set.")


def test_valid_disabled_lever_is_accepted_and_does_nothing(tmp_path, capsys):
    p = tmp_path / "lever.toml"
    p.write_text(LEVER.format(parent=str(MMC), key='"office.workers"', value="7"),
                 encoding="utf-8")
    rc, out, _ = sim(capsys, "validate", p)
    assert rc == 0
    rc, out, _ = sim(capsys, "describe", p)
    assert rc == 0
    workers = next(line for line in out.splitlines() if line.startswith("office.workers "))
    assert workers.split()[1] != "7"
