"""The expectations of the quality stage: ``expect`` rules checked on the transformed rows.

The rules are stated in :class:`lakehouse.spec.expect.Expectation`.  :func:`check` flags every row
with the rules it fails (a row passes a rule only when its condition is TRUE), counts all rules in
one aggregate over the flagged rows (cached, so the rows are computed once), raises a DataError for
the first ``fail`` rule that any row fails, and splits the rows into those the run goes on with and
those the quarantine table gets.  A condition that does not parse, does not resolve or is not
BOOLEAN is a SpecError naming ``expect[i].condition``.

Example: with rules ``positive`` (``amount > 0``, quarantine) and ``named`` (``name IS NOT NULL``,
warn), a row ``(amount=-1, name=NULL)`` is counted under both, kept out of the target and written to
the quarantine table with ``_rejected_by = [positive, named]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType

from lakehouse._sql import quote_ident
from lakehouse.errors import DataError, SpecError
from lakehouse.run.transforms import Params, checked, derive
from lakehouse.spec.expect import REJECTED_BY, Expectation
from lakehouse.write.order import any_of

SAMPLE = 3
"""How many failing rows a ``fail`` rule's error shows."""
SAMPLE_COLUMNS = 4
"""Without key columns, a failing row is shown by its first columns."""
_FAILS = "_lakehouse_fails_{}"


@dataclass(frozen=True)
class Checked:
    """The rows after the expectations, and what they counted."""

    kept: DataFrame
    """The rows the run goes on with (``warn`` failures stay), with the input's columns."""
    quarantined: DataFrame | None = None
    """Rows failing a ``quarantine`` rule, with ``_rejected_by``; None when no rule quarantines."""
    counts: dict[str, dict] = field(default_factory=dict)
    """Per rule: ``{"action": ..., "failed": n}``, in declaration order."""
    dropped: int = 0
    """Rows dropped by ``drop`` rules (and by no ``quarantine`` rule)."""
    quarantined_rows: int = 0
    cached: DataFrame | None = None
    """The cached flagged rows: unpersist when the run is done."""


def check(df: DataFrame, rules: list[Expectation], params: Params, sample_columns: list[str]) -> Checked:
    """Check ``rules`` on ``df`` (see the module docstring); ``sample_columns`` (e.g. the merge keys)
    show the failing rows of a ``fail`` rule."""
    if not rules:
        return Checked(kept=df)
    columns = df.columns
    flagged = df
    for i, rule in enumerate(rules):
        flagged = checked(f"expect[{i}].condition", flagged, _fails(_FAILS.format(i), rule.condition, params))
    fails = [F.col(_FAILS.format(i)) for i in range(len(rules))]
    quarantine = any_of([f for f, r in zip(fails, rules) if r.action == "quarantine"])
    drop = any_of([f for f, r in zip(fails, rules) if r.action == "drop"])
    shown = [c for c in sample_columns if c in columns] or columns[:SAMPLE_COLUMNS]
    sample = F.struct(*[F.col(quote_ident(c)) for c in shown])
    flagged = flagged.cache()
    try:
        row = flagged.agg(
            *[F.count_if(f).alias(f"failed_{i}") for i, f in enumerate(fails)],
            *[F.slice(F.collect_list(F.when(f, sample)), 1, SAMPLE).alias(f"sample_{i}")
              for i, (f, r) in enumerate(zip(fails, rules)) if r.action == "fail"],
            F.count_if(quarantine).alias("quarantined"), F.count_if(~quarantine & drop).alias("dropped"),
        ).first()
        for i, rule in enumerate(rules):
            if rule.action == "fail" and row[f"failed_{i}"]:
                raise DataError(_failure(i, rule, row[f"failed_{i}"], row[f"sample_{i}"]))
    except Exception:
        flagged.unpersist()
        raise
    counts = {r.name: {"action": r.action, "failed": row[f"failed_{i}"]} for i, r in enumerate(rules)}
    rejected = F.filter(F.array(*[F.when(f, F.lit(r.name)) for f, r in zip(fails, rules)]), lambda n: n.isNotNull())
    cols = [F.col(quote_ident(c)) for c in columns]
    quarantined = None
    if any(r.action == "quarantine" for r in rules):
        quarantined = flagged.filter(quarantine).select(*cols, rejected.alias(REJECTED_BY))
    return Checked(kept=flagged.filter(~quarantine & ~drop).select(*cols), quarantined=quarantined, counts=counts,
                   dropped=row["dropped"], quarantined_rows=row["quarantined"], cached=flagged)


def _fails(column: str, condition: str, params: Params):
    """A step adding ``column``: TRUE when a row fails ``condition`` (FALSE or NULL)."""
    def step(df: DataFrame) -> DataFrame:
        flagged = derive(column, condition, params)(df)
        kind = flagged.schema[column].dataType
        if not isinstance(kind, BooleanType):
            raise SpecError(f"{condition!r} is {kind.simpleString().upper()}, not a condition (BOOLEAN)")
        return flagged.withColumn(column, ~F.coalesce(F.col(column), F.lit(False)))

    return step


def _failure(i: int, rule: Expectation, count: int, sample: list) -> str:
    rows = ", ".join("(" + ", ".join(f"{k}={v!r}" for k, v in r.asDict().items()) + ")" for r in sample)
    return (f"expect[{i}]: {count} row{'s' if count > 1 else ''} fail{'' if count > 1 else 's'} rule {rule.name} "
            f"({rule.condition}), e.g. {rows}; nothing was written")
