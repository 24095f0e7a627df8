"""How fast the planner's app answers (docs/app.md): time from a request to the first
(provisional, 5 paired replications) answer and to the refined one (20), on the Bozhou case
(a full year, every lever on), with a warm pool of worker processes, as ``sim app`` runs it.
Also the time to go back to a setting seen before (served from the cache), and the time of
"How sure are we" (the default ensemble, :data:`sim.app.controller.WORLDS` worlds x
:data:`~sim.app.controller.WORLD_REPLICATIONS` paired replications) and of asking again.

    .venv/bin/python benchmarks/bench_app.py [--workers 2] [--days 365] [--no-ensemble]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from sim.app.controller import FIRST, WORLD_REPLICATIONS, WORLDS, Controller
from sim.app.render import parts
from sim.experiment.live import LiveComparer
from sim.scenario.planner import Case, lever_info, read_case_base

ROOT = os.path.join(os.path.dirname(__file__), "..")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--no-ensemble", action="store_true", help="skip 'How sure are we'")
    args = ap.parse_args()
    folder = os.path.join(ROOT, "scenarios")
    comparer = LiveComparer("processes", args.workers)
    comparer.start()
    marks: list[tuple[str, float]] = []
    t0 = 0.0

    def cards(res, prov, total, rob):
        marks.append((f"{res.replications} replications{' (provisional)' if prov else ''}"
                      f"{' with the band' if rob else ''}", time.perf_counter() - t0))
        return parts("en")[0][1](res, prov, total, rob)

    c = Controller(folder, comparer, render=[("cards", cards)])
    base = read_case_base(os.path.join(folder, "bozhou_before.toml"))
    levers = tuple(x["name"] for x in lever_info(base))
    for label, values in (("first visit", {"days": args.days}),
                          ("another setting", {"days": args.days, "workers": 9}),
                          ("back to the first", {"days": args.days})):
        marks.clear()
        t0 = time.perf_counter()
        c.request("bozhou_before.toml", Case("bozhou_before.toml", values, levers), wait=True)
        print(f"{label}: " + ", ".join(f"{m} after {s:.2f} s" for m, s in marks))
    if not args.no_ensemble:
        case = Case("bozhou_before.toml", {"days": args.days}, levers)
        for label in ("how sure are we", "how sure are we, again (kept)"):
            marks.clear()
            t0 = time.perf_counter()
            c.request_ensemble("bozhou_before.toml", case, wait=True)
            s = c.snapshot()
            runs = s.ensemble.ensemble.runs if s.ensemble is not None else None
            sims = f"{runs.simulations} simulations" if runs else s.ens_error
            print(f"{label} ({WORLDS} worlds x {WORLD_REPLICATIONS} paired replications, "
                  f"{sims}): {s.ens_status} after {time.perf_counter() - t0:.2f} s")
    comparer.close()
    print(f"(first answer: {FIRST} paired replications; {os.cpu_count()} CPUs; load average "
          f"{os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
