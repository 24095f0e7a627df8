"""Regenerate the pins ``OLD`` of tests/test_scenario_leverref.py (only when the Bozhou
scenarios or the schema change on purpose; say so in the commit message)::

    python tests/regen_leverref.py      # rewrites the OLD table in place

For each lever of ``scenarios/bozhou_levers.toml``: the hash of ``bozhou_levers.toml#NAME``
with the labels the old one-lever file wrote, its own hash, and the metrics and daily
fingerprints of seed 11, replication 0 over 200 days (see the test module's docstring)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from fingerprint import fingerprint  # noqa: E402

from sim.scenario import apply_overrides, load_scenario  # noqa: E402

TEST = ROOT / "tests" / "test_scenario_leverref.py"
LEVERS = ROOT / "scenarios" / "bozhou_levers.toml"


def main() -> None:
    from test_scenario_leverref import _old_labels

    lines = []
    for name in sorted(lv.name for lv in load_scenario(LEVERS).levers):
        new = load_scenario(f"{LEVERS}#{name}")
        old_hash = apply_overrides(new, _old_labels(name)).hash
        fp = fingerprint(load_scenario(f"{LEVERS}#{name}", {"scenario.days": 200}), 11, 0)
        lines.append(f'    "{name}": ("{old_hash}", "{new.hash}", "{fp["metrics"]}", "{fp["daily"]}"),\n')
    text = TEST.read_text(encoding="utf-8")
    text, n = re.subn(r"(\nOLD = \{\n)(.*?)(\n\}\n)", lambda m: m.group(1) + "".join(lines).rstrip("\n") + m.group(3),
                      text, count=1, flags=re.S)
    if n != 1:
        raise SystemExit("OLD table not found")
    TEST.write_text(text, encoding="utf-8")
    print(f"rewrote {len(lines)} pins in {TEST.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
