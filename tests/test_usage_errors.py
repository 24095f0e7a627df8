"""Usage errors (a missing argument, an unknown option, a bad choice) are one line on stderr,
``sim CMD: error: ... (see 'sim CMD --help')``, exit code 2, and nothing runs."""

import re

import pytest

from sim.cli import main

CASES = [
    ([], "sim"),
    (["frobnicate"], "sim"),
    (["run"], "sim run"),
    (["run", "tests/data/mmc.toml", "--bogus"], "sim run"),
    (["run", "tests/data/mmc.toml", "--lang", "fr"], "sim run"),
    (["compare"], "sim compare"),
    (["compare", "a.toml", "b.toml", "--nope", "1"], "sim compare"),
    (["sweep", "tests/data/mmc.toml"], "sim sweep"),                      # --out is required
    (["sweep", "tests/data/mmc.toml", "--out", "x", "--design", "sobol"], "sim sweep"),
    (["check"], "sim check"),
    (["calibrate"], "sim calibrate"),
    (["validate"], "sim validate"),
    (["describe"], "sim describe"),
    (["report", "a.toml", "b.toml"], "sim report"),                      # -o is required
    (["report", "a.toml", "b.toml", "-o"], "sim report"),
]


@pytest.mark.parametrize(("argv", "prog"), CASES, ids=[" ".join(a) or "(none)" for a, _ in CASES])
def test_usage_error_is_one_line_with_a_help_hint(argv, prog, capsys):
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    out, err = capsys.readouterr()
    assert rc == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert re.fullmatch(rf"{re.escape(prog)}: error: .+ \(see '{re.escape(prog)} --help'\)",
                        lines[0]), lines[0]


def test_help_still_prints_the_usage(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", "--help"])
    assert exc.value.code == 0
    assert "usage: sim run" in capsys.readouterr().out
