"""The text table of a city comparison: the headline city figures' paired differences,
then each community-size group's community metrics before and after."""

from __future__ import annotations

from sim.formatting import align, decimals, interval, number
from sim.metrics import HEADLINE, metric

__all__ = ["city_comparison_table"]


def city_comparison_table(res, lang: str = "en") -> str:
    zh = lang == "zh"
    a, b = res.names
    rows = [["指标" if zh else "Metric", a, b, "差值 [95% CI]" if zh else "Difference [95% CI]",
             "结论" if zh else "Verdict"]]
    for m in [m for m in HEADLINE if m in res.differences]:
        r = res.differences[m]
        d = decimals(r["baseline"], r["scenario"])
        rows.append([metric(m).label_zh if zh else metric(m).label, number(r["baseline"], d),
                     number(r["scenario"], d),
                     f"{number(r['mean'], d, True)} {interval(*r['ci95'], d, True)}", r["verdict"]])
    out = [f"{b} vs {a}: {res.replications} paired replications, seed {res.seed}",
           align(rows, (False, True, True, True, False))]
    for g, part in res.by_size.items():
        lo, hi = part["households"]
        out.append(f"\n{g} communities ({part['communities']}, {lo:,.0f}-{hi:,.0f} households):")
        rows = [["Metric", a, b, "Difference [95% CI]"]]
        for m, r in part["metrics"].items():
            d = decimals(r["baseline"], r["scenario"])
            rows.append([metric(m).label_zh if zh else metric(m).label, number(r["baseline"], d),
                         number(r["scenario"], d),
                         f"{number(r['mean'], d, True)} {interval(*r['ci95'], d, True)}"])
        out.append(align(rows, (False, True, True, True)))
    note = ("verdicts adjusted for multiple comparisons (Holm, headline figures)"
            if res.adjust == "holm" else "verdicts not adjusted (--no-adjust)")
    out.append(f"\ncity figures: totals over the period, shares and means weighted over "
               f"communities; groups: household terciles of {a}; {note}")
    return "\n".join(out)
