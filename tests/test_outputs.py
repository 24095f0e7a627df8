"""Output paths are checked before any work and written atomically (sim.outputs): special
files are never replaced, a bad path costs nothing (exit 2, one line, nothing run), and a
late I/O error is one line, exit 1, with the table already printed and the results saved in
a rescue directory."""

import os
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim import outputs
from sim.cli import main
from sim.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "tests" / "data" / "mmc.toml"
CITY = ROOT / "scenarios" / "bozhou_city.toml"


@pytest.fixture
def odd(tmp_path):
    """A FIFO, a link to a character device, a dangling link, a directory and a file."""
    d = tmp_path / "odd"
    d.mkdir()
    os.mkfifo(d / "fifo")
    os.symlink("/dev/null", d / "devnull")
    os.symlink(d / "missing", d / "dangling")
    (d / "dir").mkdir()
    (d / "file").write_text("x")
    return d


def sim(capsys, *args):
    capsys.readouterr()
    t0 = time.monotonic()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err, time.monotonic() - t0


# -- the checks ------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "fragment"), [
    ("fifo", "FIFO"), ("devnull", "character device"), ("dangling", "dangling"),
    ("dir", "not a directory"), ("file/x.json", "not a directory"),
])
def test_check_file_refuses(odd, name, fragment):
    with pytest.raises(InputError) as exc:
        outputs.check_file(str(odd / name), "--out")
    assert fragment in str(exc.value) and exc.value.field == "--out"


@pytest.mark.parametrize(("name", "fragment"), [
    ("fifo", "FIFO"), ("devnull", "character device"), ("dangling", "dangling"),
    ("file", "existing file"), ("file/sub", "not a directory"),
])
def test_check_dir_refuses(odd, name, fragment):
    with pytest.raises(InputError) as exc:
        outputs.check_dir(str(odd / name), "--out")
    assert fragment in str(exc.value)


def test_check_refuses_an_unwritable_directory_and_accepts_creatable_paths(tmp_path):
    with pytest.raises(InputError, match="cannot write in"):
        outputs.check_file("/sys/kernel/x.json", "--out")   # not writable, even for root
    with pytest.raises(InputError):
        outputs.check_file("a\0b", "--out")
    new = tmp_path / "a" / "b" / "c.json"
    assert outputs.check_file(str(new), "--out") == str(new)
    assert not (tmp_path / "a").exists()                       # checking creates nothing
    assert outputs.check_dir(str(tmp_path / "x" / "y"), "--out")
    assert not (tmp_path / "x").exists()
    assert list(tmp_path.iterdir()) == []                      # no probe files left


# -- atomic writes ----------------------------------------------------------------------------

def test_write_atomic_replaces_content_keeps_mode_and_leaves_nothing(tmp_path):
    p = tmp_path / "r.json"
    p.write_text("old")
    os.chmod(p, 0o640)
    outputs.write_atomic(p, "new")
    assert p.read_text() == "new"
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o640
    assert sorted(x.name for x in tmp_path.iterdir()) == ["r.json"]


def test_write_atomic_follows_a_link_to_a_regular_file(tmp_path):
    target = tmp_path / "real.html"
    target.write_text("old")
    os.symlink(target, tmp_path / "link.html")
    outputs.write_atomic(tmp_path / "link.html", "new")
    assert os.path.islink(tmp_path / "link.html") and target.read_text() == "new"


@pytest.mark.parametrize("name", ["fifo", "devnull", "dir"])
def test_write_atomic_never_replaces_a_special_file(odd, name):
    before = os.lstat(odd / name)
    with pytest.raises(OSError):
        outputs.write_atomic(odd / name, "data")
    after = os.lstat(odd / name)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert sorted(p.name for p in odd.iterdir()) == ["dangling", "devnull", "dir", "fifo", "file"]


# -- every command checks its outputs before it runs ---------------------------------------------

def _targets_scenario(tmp_path):
    p = tmp_path / "t.toml"
    p.write_text(f'extends = "{MMC}"\n[[targets]]\nmetric = "utilization"\nvalue = 0.5\n'
                 'tolerance = 1.0\nsource = "test"\nreason = "any value passes"\n')
    return p


def commands(odd, tmp_path):
    t = _targets_scenario(tmp_path)
    return [
        ["run", MMC, "--out", odd / "dangling"],
        ["run", MMC, "--out", odd / "file"],
        ["compare", MMC, MMC, "--out", odd / "fifo"],
        ["compare", MMC, MMC, "--report", odd / "devnull"],
        ["report", MMC, MMC, "-o", odd / "fifo"],
        ["report", MMC, MMC, "-o", odd / "devnull"],
        ["report", MMC, MMC, "-o", odd / "file" / "r.html"],
        ["sweep", MMC, "--param", "office.workers=2,3", "--out", odd / "fifo"],
        ["sweep", MMC, "--param", "office.workers=2,3", "--out", odd / "dangling"],
        ["check", t, "--out", odd / "devnull"],
        ["check", t, "--out", "/sys/kernel/check.json"],
        ["calibrate", CITY, "--out", odd / "fifo"],
        ["calibrate", CITY, "--out", odd / "dir"],
    ]


def test_every_command_refuses_a_bad_output_before_running(odd, tmp_path, capsys):
    for argv in commands(odd, tmp_path):
        rc, out, err, secs = sim(capsys, *argv, "--no-progress")
        assert rc == 2, (argv, err)
        assert out == "", argv                               # nothing ran, nothing printed
        lines = err.splitlines()
        assert len(lines) == 1 and "Traceback" not in err, (argv, err)
        assert secs < 20, argv
    assert stat.S_ISFIFO(os.lstat(odd / "fifo").st_mode)
    assert os.readlink(odd / "devnull") == "/dev/null"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_report_o_on_a_fifo_in_a_subprocess_leaves_it_a_fifo(odd):
    proc = subprocess.run([sys.executable, "-m", "sim", "report", str(MMC), str(MMC),
                           "-o", str(odd / "fifo"), "--no-progress"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1
    assert "FIFO" in proc.stderr
    assert stat.S_ISFIFO(os.lstat(odd / "fifo").st_mode)


def test_outputs_are_written_whole_with_no_staging_left(tmp_path, capsys):
    out = tmp_path / "o"
    for _ in range(2):                                        # the second run replaces
        rc, stdout, err, _ = sim(capsys, "run", MMC, "--replications", "2", "--set",
                                 "scenario.days=5", "--out", out, "--no-progress")
        assert rc == 0 and "Metric" in stdout and "wrote" in err
    names = sorted(p.name for p in out.iterdir())
    assert "summary.csv" in names and not any(n.startswith(".") for n in names)
    rc, stdout, _, _ = sim(capsys, "check", _targets_scenario(tmp_path), "--replications", "2",
                           "--set", "scenario.days=5", "--out", tmp_path / "c" / "check.json",
                           "--no-progress")
    assert rc == 0 and (tmp_path / "c" / "check.json").read_text().startswith("{")


# -- a late I/O error: one line, exit 1, the table printed, the results rescued ------------------

def _small_files(limit):
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past the limit fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return pre


def test_late_write_error_is_one_line_and_the_results_are_rescued(tmp_path):
    """Files larger than 100 kB cannot be written (RLIMIT_FSIZE): the event log of this run
    (about 300 kB) fails after the replications finished; the summary files are small."""
    out, rescue = tmp_path / "out", tmp_path / "rescue"
    env = {**os.environ, "SIM_RESCUE_DIR": str(rescue)}
    proc = subprocess.run([sys.executable, "-m", "sim", "run", str(MMC), "--replications", "2",
                           "--set", "scenario.days=5", "--events", "--out", str(out),
                           "--no-progress"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env, preexec_fn=_small_files(100_000))
    assert proc.returncode == 1, proc.stderr
    assert "Metric" in proc.stdout                         # the table came first
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "--out" in lines[0] and "cannot write" in lines[0] and "saved to" in lines[0]
    saved = Path(lines[0].split("saved to ")[1].split(" instead")[0])
    assert saved.parent == rescue and (saved / "summary.csv").stat().st_size > 0
    assert not (saved / "events.csv").exists()             # the full set did not fit
    # nothing half-written in --out: no table file, no staging directory; what is there is
    # the run's own record (manifest.json, result.json, the replications kept before the
    # disk refused), which --resume reads
    left = sorted(p.name for p in out.iterdir())
    assert not [n for n in left if n.endswith(".csv") or n.startswith(".sim-staging")], left
    assert set(left) <= {"manifest.json", "result.json", "replications", ".lock"}, left


def test_stdout_write_error_is_one_line(tmp_path):
    """Output to a full device (/dev/full): one line on stderr, exit 1."""
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "sim", "validate", str(MMC)], cwd=ROOT,
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert proc.returncode == 1
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
