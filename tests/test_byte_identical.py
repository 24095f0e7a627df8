"""Results stay byte-identical through refactoring: the JSON of a Bozhou before/after
comparison (3 replications), a small city run (3 communities, 60 days, 2 replications) and
a small sweep (2 points x 2 replications), with their text tables and CSV files, hash to the
values stored in ``tests/data/byte_identical.json``.

A change that is meant to change results (a new event order in the engine, a new metric)
regenerates the stored hashes deliberately, and says so in its commit::

    python tests/regen_hashes.py
"""

from __future__ import annotations

import json

import regen_hashes  # tests/regen_hashes.py (pytest puts tests/ on the path)


def test_results_hash_to_the_stored_values():
    stored = json.loads(regen_hashes.DATA.read_text(encoding="utf-8"))
    now = regen_hashes.compute()
    changed = sorted(k for k in stored.keys() | now.keys() if stored.get(k) != now.get(k))
    assert not changed, (f"results changed: {', '.join(changed)} (if intended, run "
                         "python tests/regen_hashes.py and say why in the commit)")
