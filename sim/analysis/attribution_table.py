"""The text table of ``sim attribute``: per metric, the total effect, then each lever's
Shapley value with its 95 % interval, one at a time and leave one out, largest first, and
the strongest interactions, and how far the largest contributions in the direction of the
total are ranked; across worlds (``--worlds N``), each lever's Shapley value across the
worlds and how often it is with or against the total and first or in the top k."""

from __future__ import annotations

import math
from typing import Any

from sim.formatting import align, decimals, interval, number

__all__ = ["attribution_table", "city_attribution_table", "ordered_levers",
           "worlds_attribution_table"]


def ordered_levers(row: dict[str, Any]) -> list[str]:
    """A metric's levers by the size of their Shapley value, largest first."""
    def size(name: str) -> float:
        x = row["levers"][name]["shapley"]
        return abs(x) if x is not None and math.isfinite(x) else -1.0
    return sorted(row["levers"], key=lambda k: -size(k))


def attribution_table(result, lang: str = "en") -> str:
    zh = lang == "zh"
    head = (f"{result.reform} vs {result.baseline}: {len(result.levers)} levers, "
            f"{result.method} Shapley"
            + (f" ({result.permutations} permutations)" if result.permutations else "")
            + f", {result.replications} replications, seed {result.seed}, "
              f"{result.coalitions} coalitions")
    parts = [head] + [_block(row, zh) for row in result.metrics.values()]
    parts.append(NOTE)
    return "\n\n".join(parts)


NOTE = ("OAT: the lever alone on the baseline; LOO: the reform minus the lever without it; "
        "Shapley values add up to the total.")


def _block(row: dict[str, Any], zh: bool) -> str:
    """One metric: its total, the lever table, interactions and ranking."""
    lv = row["levers"]
    d = decimals(row["total"], *(v["shapley"] for v in lv.values()))
    title = f"{row['label']} ({row['unit']}): total {number(row['total'], d, True)} " \
            f"{interval(*row['total_ci95'], d, True)}"
    rows = [["措施" if zh else "Lever", "Shapley", "95% CI", "OAT" if not zh else "单独",
             "LOO" if not zh else "留一"]]
    for k in ordered_levers(row):
        v = lv[k]
        rows.append([k, number(v["shapley"], d, True), interval(*v["ci95"], d, True),
                     number(v["one_at_a_time"], d, True), number(v["leave_one_out"], d, True)])
    text = [title, align(rows, (False, True, False, True, True))]
    for it in row["interactions"][:3]:
        text.append(f"  interaction {it['levers'][0]} x {it['levers'][1]}: "
                    f"{number(it['index'], d, True)} {interval(*it['ci95'], d, True)}")
    rk = row.get("ranking")
    if rk:
        way = "reductions" if row["total"] < 0 else "increases"
        text.append(f"  ranking of the {rk['top']} largest {way}: {', '.join(rk['order'])}; "
                    + ("ranked beyond doubt (simultaneous 95 %)" if rk["ranked"] else
                       f"ranked beyond doubt: the first {rk['ranked_top']}"))
    return "\n".join(text)


def city_attribution_table(result, lang: str = "en") -> str:
    """A city attribution: the city figures' table, then each household tercile's (the
    mean of its communities' metric, as ``sim compare`` of two cities)."""
    from sim.text import t

    zh = lang == "zh"
    c = result.city
    parts = [f"{c['name']}: {c['communities']} communities, {c['days']} days",
             attribution_table(result, lang)]
    for g, part in result.by_size.items():
        lo, hi = part["households"]
        head = t("report.robustness.group", lang, group=t(f"size.{g}", lang),
                 low=f"{lo:,.0f}", high=f"{hi:,.0f}", n=part["communities"])
        parts.append("\n\n".join([f"== {head} =="]
                                   + [_block(row, zh) for row in part["metrics"].values()]))
    return "\n\n".join(parts)


def worlds_attribution_table(result, lang: str = "en") -> str:
    """An attribution across worlds (:class:`sim.analysis.attribution_worlds.WorldsAttribution`):
    per metric, the total across worlds, then per lever (by the size of its median Shapley
    value) the median and 5-95 % range across worlds, its median share of the total, the
    worlds where it is with / against the total or unclear, first, and in the top k."""
    zh = lang == "zh"
    n = result.worlds
    head = (f"{result.reform} vs {result.baseline}: {len(result.levers)} levers in {n} "
            f"worlds ({result.design}) of {len(result.factors)} uncertain inputs, "
            f"{result.method} Shapley"
            + (f" ({result.permutations} orders)" if result.permutations else "")
            + f", {result.replications} replications a world, seed {result.seed}")
    parts = [head]
    for row in result.metrics.values():
        lv = row["levers"]
        tot = row["total"]
        d = decimals(tot["effect_median"], *(v["shapley_median"] for v in lv.values()))
        rows = [["措施" if zh else "Lever", "Shapley median", "5-95 %",
                 "share of total", "with/against/unclear", "first", f"top {result.rank}",
                 "moves most with (Spearman)"]]
        order = sorted(lv, key=lambda k: -_size(lv[k]["shapley_median"]))
        for k in order:
            v = lv[k]
            share = v["share_of_total_median"]
            rows.append([k, number(v["shapley_median"], d, True),
                         interval(v["shapley_p05"], v["shapley_p95"], d, True),
                         f"{share:.0%}" if share is not None and math.isfinite(share) else "n/a",
                         f"{v['worlds_with_total']}/{v['worlds_against_total']}/"
                         f"{v['worlds_unclear']}", str(v["worlds_first"]), str(v["worlds_top"]),
                         _moved(v.get("moved_by"))])
        text = [f"{row['label']} ({row['unit']}): {tot['sentence']}",
                align(rows, (False, True, False, True, True, True, True, False))]
        text += [f"  {x}" for x in row["sentences"]]
        parts.append("\n".join(text))
    parts.append(f"Across {n} worlds of the declared uncertain inputs, each world with the same "
                 "replications and orders (common random numbers). 5-95 %: the range of the "
                 "worlds' Shapley values, which holds each world's replication noise as well "
                 "(the per-world intervals are in --out DIR/attribution_worlds.csv). with/"
                 "against/unclear: worlds where the lever's 95 % interval excludes 0 on the "
                 "side of the overall effect (the median total), on the other side, or holds "
                 "0. first, top k: worlds where it makes the largest (one of the k largest) "
                 "contributions in that direction. moves most with: the uncertain input whose "
                 "values go most with the lever's Shapley value across the worlds.")
    return "\n\n".join(parts)


def _moved(mv: Any) -> str:
    return "" if not mv else f"{mv['input']} ({mv['spearman']:+.2f})"


def _size(x: Any) -> float:
    return abs(x) if x is not None and math.isfinite(x) else -1.0
