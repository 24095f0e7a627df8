"""Building scenarios: CPU time of the loader's entry points, in process.

1. ``apply_overrides`` of lever toggles: 20 random coalitions (seeded) of the levers of
   ``scenarios/bozhou_after.toml``, as ``sim attribute`` builds them; "warm" repeats them (the
   loader's content-keyed caches filled, as in a study), "cold" clears those caches before
   every build (what a never-seen variant costs).
2. ``load_scenario("scenarios/bozhou_after.toml")``, again (warm: its files' parse is cached)
   and with the caches cleared before each load (cold: the first load in a process).
3. ``load_city("scenarios/bozhou_city.toml")``: every community's scenario (per community).

Each is the minimum over ``--repeats`` rounds of ``time.process_time`` per build. It runs the
``sim`` its interpreter imports, relative to the working directory, so the same script times
another checkout: ``cd OTHER && OTHER/.venv/bin/python THIS/benchmarks/bench_build.py``.
Usage: python benchmarks/bench_build.py [--repeats N]; prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import time


def _clear() -> None:
    """Empty the loader's caches (those this version has)."""
    from sim.scenario import citations, content, files, levers, validate

    for module, name in ((files, "_parsed"), (levers, "_validated"), (levers, "_overlap"),
                         (content, "_prefixes"), (citations, "_unresolved"),
                         (validate, "_param")):
        fn = getattr(module, name, None)
        if hasattr(fn, "cache_clear"):  # (in this version, a cache)
            fn.cache_clear()


def _best(fn, n: int, repeats: int, before=None) -> float:
    """Minimum over rounds of the CPU milliseconds per call (``before`` untimed)."""
    best = float("inf")
    for _ in range(repeats):
        spent = 0.0
        for i in range(n):
            if before is not None:
                before()
            t0 = time.process_time()
            fn(i)
            spent += time.process_time() - t0
        best = min(best, spent / n)
    return best * 1000.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    from sim.city.loader import load_city
    from sim.scenario import apply_overrides, load_scenario

    after = "scenarios/bozhou_after.toml"
    base = load_scenario(after)
    rnd = random.Random(5)
    coalitions = [{f"levers.{lv.name}.enabled": rnd.random() < 0.5 for lv in base.levers}
                  for _ in range(20)]
    out = {
        "apply_overrides_warm_ms": _best(lambda i: apply_overrides(base, coalitions[i]), 20,
                                         args.repeats),
        "apply_overrides_cold_ms": _best(lambda i: apply_overrides(base, coalitions[i]), 20,
                                         args.repeats, before=_clear),
        "load_scenario_ms": _best(lambda i: load_scenario(after), 5, args.repeats),
        "load_scenario_cold_ms": _best(lambda i: load_scenario(after), 5, args.repeats,
                                       before=_clear),
    }
    city = load_city("scenarios/bozhou_city.toml")
    n = len(city.communities)
    out["city_per_community_ms"] = _best(lambda i: load_city("scenarios/bozhou_city.toml"), 1,
                                         args.repeats) / n
    out["communities"] = n
    print(json.dumps({k: round(v, 2) for k, v in out.items()}))


if __name__ == "__main__":
    main()
