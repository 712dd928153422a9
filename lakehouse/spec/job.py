"""The job spec: what one YAML file in ``jobs/`` declares.

A job reads one source (raw files, or a Delta table: :class:`DeltaSource`), applies a fixed
sequence of transforms, and writes one Delta table in one of five modes.  The models are strict
(unknown keys are rejected) and frozen; this module never imports Spark, so ``lakehouse validate``
runs without a JVM.

Example (``jobs/orders.yaml``)::

    name: orders
    source:
      format: csv
      path: orders/{run_date}/*.csv
      schema: "order_id BIGINT, status STRING, ordered_at TIMESTAMP, updated_at TIMESTAMP, op STRING"
    transform:
      derive:
        order_date: "to_date(ordered_at)"
    target:
      path: orders
      partition_by: [order_date]
      mode: merge
      merge:
        keys: [order_id]
        sequence_by: updated_at
        delete_when: "op = 'D'"
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

from lakehouse.errors import SpecError
from lakehouse.spec.expect import Expectation, rule_names
from lakehouse.spec.fields import Identifier, Model, SqlExpression
from lakehouse.spec.source import Source
from lakehouse.spec.target import Target

# ------------------------------------------------------------------------ transform

class Transform(Model):
    """Transforms applied to the source, always in this order:
    `sql` → `rename` → `cast` → `derive` → `filter`."""

    sql: str | None = Field(
        None, description="A SQL file in the project's `sql/` folder. It selects from the source, "
                          "registered as the temporary view named by `view`.")
    view: Identifier = Field("source", description="View name under which the SQL file sees the source.")
    rename: dict[Identifier, Identifier] = Field(default_factory=dict, description="old name: new name.")
    cast: dict[Identifier, str] = Field(default_factory=dict, description="column: Spark SQL type.")
    derive: dict[Identifier, SqlExpression] = Field(
        default_factory=dict, description="new column: Spark SQL expression, evaluated in order.")
    filter: list[SqlExpression] = Field(default_factory=list, description="Spark SQL conditions; rows must meet all.")

    def sql_path(self, sql_dir: Path) -> Path | None:
        """The SQL file inside ``sql_dir``; a SpecError if it is missing or outside the folder."""
        if self.sql is None:
            return None
        path = (sql_dir / self.sql).resolve()
        if sql_dir.resolve() not in path.parents:
            raise SpecError(f"{self.sql!r} is outside the sql folder {sql_dir}", field="transform.sql")
        if not path.is_file():
            raise SpecError(f"SQL file not found: {path}", field="transform.sql")
        return path


# ------------------------------------------------------------------------------ job

class JobSpec(Model):
    """One job: read `source`, apply `transform`, check `expect`, write `target`."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")] = Field(
        description="Job name, recorded in every commit the job makes.")
    description: str = Field("", description="Free text for people.")
    source: Source
    transform: Transform = Field(default_factory=Transform)
    target: Target
    expect: Annotated[list[Expectation], AfterValidator(rule_names)] = Field(
        default_factory=list, description="Rules the transformed rows should meet, checked before the key "
                                          "checks and the write; see Expectation.")
