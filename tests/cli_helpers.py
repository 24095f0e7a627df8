"""Shared by the bad-input tests: run the real CLI in process and check its one-line error."""

from __future__ import annotations

from sim.cli import main


def sim(capsys, *args):
    """Run ``sim ARGS`` in this process; (exit code, stdout, stderr)."""
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def one_error(rc, err, *fragments):
    """Exit 2, exactly one stderr line, no traceback, every fragment in it; the line."""
    assert rc == 2, err
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]
