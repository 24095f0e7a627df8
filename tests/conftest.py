"""Hypothesis runs derandomized (a fixed set of examples, no example database) so that
`make test` gives the same verdict on every machine and every run. To explore new random
examples, as a search for bugs rather than a check: SIM_HYPOTHESIS_RANDOM=1 make test."""

import os

from hypothesis import settings

settings.register_profile("reproducible", derandomize=True, database=None, print_blob=True)
settings.register_profile("random", print_blob=True)
settings.load_profile("random" if os.environ.get("SIM_HYPOTHESIS_RANDOM") else "reproducible")
