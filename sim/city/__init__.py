"""City scenarios: many community offices of different sizes run side by side for a period,
their results added up to city figures, checked against reported targets and calibrated.

- :func:`load_city` reads a ``[city]`` file (``docs/city.md``) into an immutable :class:`City`;
- :func:`run_city` runs its replications (serially or in worker processes) -> :class:`CityResult`;
- :mod:`sim.city.aggregate` says how community results add up to city figures.
"""

from sim.city.loader import expected_per_year, load_city
from sim.city.model import CalibrationParameter, City, Community
from sim.city.run import CityResult, community_seed, run_city
from sim.scenario.files import is_city_file

__all__ = ["CalibrationParameter", "City", "CityResult", "Community", "community_seed",
           "expected_per_year", "is_city_file", "load_city", "run_city"]
