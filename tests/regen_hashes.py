"""The reference hashes of tests/test_byte_identical.py: the JSON of a Bozhou comparison, a
small city run and a small sweep, hashed with SHA-256.

Regenerate them (only when a change of results is intended, e.g. a new event order in the
engine, and say so in the commit message)::

    python tests/regen_hashes.py          # rewrites tests/data/byte_identical.json
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "byte_identical.json"
BEFORE = ROOT / "scenarios" / "bozhou_before.toml"
AFTER = ROOT / "scenarios" / "bozhou_after.toml"
CITY = ROOT / "scenarios" / "bozhou_city.toml"
SEED = 7


def _without_versions(obj: Any) -> Any:
    """``obj`` without its ``"versions"`` records (the Python/NumPy/SimPy stack that ran it):
    they describe the machine, not the result, and differ between supported Pythons."""
    if isinstance(obj, dict):
        return {k: _without_versions(v) for k, v in obj.items() if k != "versions"}
    if isinstance(obj, list):
        return [_without_versions(v) for v in obj]
    return obj


def _digest(obj: Any) -> str:
    """SHA-256 of ``obj``: text as it is, anything else as JSON (without ``versions``); the
    checkout's absolute path replaced by ``<root>`` so that the hash does not depend on where
    the repository lies."""
    obj = obj if isinstance(obj, str) else _without_versions(obj)
    text = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False, allow_nan=True)
    text = text.replace(ROOT.as_posix(), "<root>")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compute() -> dict[str, str]:
    """Run the three studies (about 20 s) and hash what they give."""
    import sim
    from sim.city import load_city, run_city
    from sim.sweep import sweep

    out: dict[str, str] = {}
    cmp = sim.compare([BEFORE, AFTER], replications=3, seed=SEED, progress=False)
    out["compare.json"] = _digest(cmp.to_json())
    out["compare.table.en"] = _digest(cmp.table("en"))
    out["compare.table.zh"] = _digest(cmp.table("zh"))
    out["compare.differences.csv"] = _digest(cmp.differences.to_csv(index=False))

    city = load_city(CITY, ["communities.count=3", "city.days=60", "communities.volunteer_teams=2"])
    res = run_city(city, 2, SEED, progress=False)
    out["city.json"] = _digest(res.to_json())
    out["city.table.en"] = _digest(res.table("en"))
    out["city.communities.csv"] = _digest(res.communities.to_csv())

    with tempfile.TemporaryDirectory() as tmp:
        sw = sweep(AFTER, ["office.workers=6,8"], replications=2, seed=SEED, executor="serial",
                   out=Path(tmp) / "sweep", overrides=["scenario.days=60"], progress=False)
        for name in ("results.csv", "summary.csv"):
            out[f"sweep.{name}"] = _digest((sw.out / name).read_text(encoding="utf-8"))
    return out


def main() -> int:
    hashes = compute()
    DATA.write_text(json.dumps(hashes, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {DATA.relative_to(ROOT)} ({len(hashes)} hashes)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
