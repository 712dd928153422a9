"""The Spark/Delta lines lakehouse supports, and the line a profile's platform runs.

Delta's jars are built for one Spark line (major.minor): Delta 3.3 for Spark 3.5 (Scala 2.12),
Delta 4.0 for Spark 4.0, Delta 4.4 for Spark 4.2 (from Delta 4.1 the jar names carry the line,
``io.delta:delta-spark_4.2_2.13``).  lakehouse is tested on the pairs of :data:`SUPPORTED`.

A profile for a cluster names its platform and the line it runs::

    platform:
      name: Amazon EMR 7.x
      spark: "3.5"
      delta: "3.3"

Rules:

* ``spark`` and ``delta`` are lines (``major.minor``) and the pair is one of :data:`SUPPORTED`.
* A Databricks job cluster's runtime (``deploy.cluster.spark_version``) must run that Spark line
  where :data:`DATABRICKS_RUNTIMES` knows the runtime.
* When lakehouse gets its session, Spark's version must be on the profile's line (and, where the
  Delta jars come from the installed delta-spark, so must Delta's); otherwise the run stops before
  reading anything (:func:`mismatch`).  A profile without ``platform`` (``local.yaml``) runs on
  whatever pair is installed.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from lakehouse.spec.fields import Model

SUPPORTED: dict[str, str] = {"3.5": "3.3", "4.0": "4.0", "4.2": "4.4"}
"""Spark line → the Delta line lakehouse is tested with on it (the oldest pair, the 4.0 pair, the default)."""

DATABRICKS_RUNTIMES: dict[str, str] = {"15.4": "3.5", "16.4": "3.5", "17.3": "4.0"}
"""Databricks LTS runtime → the Spark line it runs."""



def _line(value: str) -> str:
    if not re.fullmatch(r"\d+\.\d+", value):
        raise ValueError(f'{value!r} is not a line: write major.minor, e.g. "3.5"')
    return value


Line = Annotated[str, AfterValidator(_line)]


def line_of(version: str) -> str:
    """The line (``major.minor``) of a version such as ``3.5.7`` or ``4.2.0-preview1``."""
    match = re.match(r"^(\d+)\.(\d+)", version)
    return f"{match.group(1)}.{match.group(2)}" if match else version


class Platform(Model):
    """The platform a profile targets and the Spark/Delta line it runs (see the module rules)."""

    name: str = Field(description="The platform and release, e.g. `Amazon EMR 7.x` or `Databricks 17.3 LTS`.")
    spark: Line = Field(description='The Spark line the platform runs, e.g. "3.5".')
    delta: Line = Field(description='The Delta line it runs with that Spark, e.g. "3.3".')

    @model_validator(mode="after")
    def _supported(self) -> "Platform":
        if SUPPORTED.get(self.spark) != self.delta:
            pairs = ", ".join(f"Spark {s} with Delta {d}" for s, d in SUPPORTED.items())
            raise ValueError(f"Spark {self.spark} with Delta {self.delta} is not a pair lakehouse supports "
                             f"({pairs})")
        return self

    def databricks_mismatch(self, spark_version: str) -> str | None:
        """Why a Databricks runtime such as ``17.3.x-scala2.13`` does not run this line (None: it does, or the
        runtime is not one :data:`DATABRICKS_RUNTIMES` knows)."""
        runs = DATABRICKS_RUNTIMES.get(line_of(spark_version))
        if runs is None or runs == self.spark:
            return None
        return f"Databricks runtime {spark_version} runs Spark {runs}, but platform.spark is {self.spark}"


def mismatch(platform: Platform, spark_version: str, delta_version: str | None) -> tuple[str, str] | None:
    """``(field, reason)`` when a session running ``spark_version`` (and ``delta_version``, None: unknown)
    is not on ``platform``'s line; None when it is."""
    if line_of(spark_version) != platform.spark:
        return "platform.spark", (f"the profile targets {platform.name} (Spark {platform.spark}), "
                                  f"but the session runs Spark {spark_version}")
    if delta_version is not None and line_of(delta_version) != platform.delta:
        return "platform.delta", (f"the profile targets {platform.name} (Delta {platform.delta}), "
                                  f"but the installed delta-spark is {delta_version}")
    return None
