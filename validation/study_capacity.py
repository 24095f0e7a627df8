"""Study b: finite capacity (M/M/c/K), balking and reneging: not supported, so not validated.

The engine has no waiting-room limit and no customers who leave unserved: every admitted
task stays until it is done. This module says so in the report, and keeps saying it truthfully:
it walks the scenario schema and lists any key whose name suggests such a feature, so that
the day one is added this study fails and asks for a real validation.
"""

from __future__ import annotations

from validation.checks import Check, Study

HINTS = ("capacity", "max_in_system", "queue_max", "max_queue", "waiting_room", "balk",
         "renege", "reneging", "patience", "abandon")


def schema_keys() -> list[str]:
    """Every dotted key of the scenario schema (arrays of tables as ``name[]``)."""
    from sim.scenario import schema as S

    out: list[str] = []

    def walk(node, path: str) -> None:
        if isinstance(node, S.Table):
            for k, v in node.fields.items():
                walk(v, f"{path}.{k}" if path else k)
        elif isinstance(node, S.Records | S.Seq | S.Named):
            walk(node.item, path + "[]")
        else:
            out.append(path)

    walk(S.ROOT, "")
    return out


def run(keys: list[str] | None = None) -> Study:
    keys = schema_keys() if keys is None else keys
    found = [k for k in keys if any(h in k.rsplit(".", 1)[-1] for h in HINTS)]
    study = Study(
        key="capacity", title="Finite capacity (M/M/c/K), balking, reneging",
        compared="Nothing: the engine does not model these.",
        explanation=(
            "The scenario format (`docs/scenario-format.md`, `sim/scenario/schema.py`) has no "
            "waiting-room limit, no refusal when the office is full and no patience after which "
            "a waiting task leaves: every admitted task stays until it is done (the admission "
            "rule refuses tasks by list, whatever the load). So M/M/c/K and reneging queues "
            "cannot be set up and are not validated. The nearest feature, a resident's problem "
            "that no volunteer has started within `problems.volunteer_max_wait_days` moving to "
            "the workers, is a transfer between queues, not an abandonment, and is checked by "
            "the behaviour tests, not here. This study scans the schema's "
            f"{len(keys)} keys for names suggesting such a feature ("
            + ", ".join(f"`{h}`" for h in HINTS) + ") and fails if it finds one, so the "
            "report cannot go on saying \"not supported\" after support is added."),
        supported=False,
    )
    study.checks.append(Check("schema", "keys suggesting capacity or reneging", 0.0,
                              [float(len(found))], tolerance=0.0))
    study.notes.append("Keys found: " + (", ".join(f"`{k}`" for k in found) if found else "none")
                       + ".")
    return study
