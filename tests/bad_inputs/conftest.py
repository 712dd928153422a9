"""One shared project with loaded base tables per test module (see harness.py)."""

import pytest

from tests.bad_inputs.harness import build_world


@pytest.fixture(scope="module")
def world(spark, tmp_path_factory):
    return build_world(spark, tmp_path_factory.mktemp("bad-inputs"))
