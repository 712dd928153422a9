"""Hypothesis profiles for the property tests of tests/write (the spark fixture is tests/conftest.py's).

``ci`` (default): derandomized, few examples, sized for about 3-4 minutes on 2 cores.
``release``: many random examples, before a release::

    LAKEHOUSE_HYPOTHESIS_PROFILE=release .venv/bin/python -m pytest tests/write
"""

import os

from hypothesis import HealthCheck, settings

SLOW_OK = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]

settings.register_profile("ci", derandomize=True, max_examples=6, deadline=None, print_blob=True,
                          suppress_health_check=SLOW_OK)
settings.register_profile("release", max_examples=300, deadline=None, print_blob=True,
                          suppress_health_check=SLOW_OK)
settings.load_profile(os.environ.get("LAKEHOUSE_HYPOTHESIS_PROFILE", "ci"))
