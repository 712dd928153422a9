"""Expectations on the rows a job writes, and the rejected-row options shared with the source and
the merge.  No Spark import here.

The quarantine table (see :class:`Expectation`) is a Delta table next to the target: ``<path>_quarantine``
under the target's root, or ``<table>_quarantine`` in the metastore.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from lakehouse.spec.fields import Identifier, Model, SqlExpression

Rejection = Literal["fail", "drop", "quarantine"]
"""What a run does with a malformed record (``source.on_malformed``) or a null key
(``target.merge.null_keys``): fail the run (the default, :data:`REJECTION_DEFAULT`), drop and count the
row, or drop it and write it to the quarantine table."""
REJECTION_DEFAULT = "fail"

MALFORMED, NULL_KEYS = "malformed", "null_keys"
"""The rule names of rows rejected by ``source.on_malformed`` and ``target.merge.null_keys``
(reserved: no expectation may take them)."""

QUARANTINE_SUFFIX = "_quarantine"
"""The quarantine table is the target's path or table name with this suffix."""
REJECTED_BY, RAW_RECORD, JOB, RUN_ID, RUN_DATE = "_rejected_by", "_raw_record", "_job", "_run_id", "_run_date"
"""The columns the quarantine table adds to the row's own columns."""


def _not_reserved(name: str) -> str:
    if name in (MALFORMED, NULL_KEYS):
        raise ValueError(f"{name!r} is reserved for rows rejected by "
                         f"{'source.on_malformed' if name == MALFORMED else 'target.merge.null_keys'}")
    return name


class Expectation(Model):
    """A rule every row the job writes should meet, checked after the transforms and before the
    key checks and the write.

    A row **passes** a rule only when its ``condition`` is TRUE: FALSE and NULL fail it.  On failure:

    * ``warn`` counts the row and keeps it;
    * ``drop`` counts the row and drops it;
    * ``quarantine`` counts the row, drops it and writes it to the quarantine table;
    * ``fail`` stops the run before anything is written (target or quarantine table), with a data
      error naming the rule, how many rows fail it and up to 3 of them.

    A row that fails several rules is counted under each; it goes to the quarantine table when any of
    them is ``quarantine`` (its ``_rejected_by`` lists every rule it fails), else it is dropped when any is
    ``drop``.  All rules are counted in one pass over the rows, and the counts per rule are in the run
    summary and the commit's lineage.

    The quarantine table holds the row's columns as the target would get them (NULL for a malformed
    record), ``_rejected_by ARRAY<STRING>`` (rule names, or ``malformed`` / ``null_keys``), ``_raw_record``
    (a malformed record's text), ``_job``, ``_run_id`` and ``_run_date DATE``, and is partitioned by
    ``_run_date``.  Each run replaces its run date's rows there (a forced re-run never duplicates them),
    just before the target commit; a dry run writes nothing.

    Example::

        expect:
          - name: amount_not_negative
            condition: amount >= 0
            action: quarantine
          - name: has_customer
            condition: customer_id IS NOT NULL
            action: warn
    """

    name: Annotated[Identifier, AfterValidator(_not_reserved)] = Field(description="The rule's name, in counts, errors and `_rejected_by`.")
    condition: SqlExpression = Field(min_length=1, description="Spark SQL boolean expression a row must meet "
                                                     "(NULL counts as failing).")
    action: Literal["warn", "drop", "quarantine", "fail"] = Field(
        description="What a failing row does: `warn` (keep, count), `drop`, `quarantine` (drop, keep it in "
                    "the quarantine table) or `fail` (stop the run before writing).")


def rule_names(rules: list[Expectation]) -> list[Expectation]:
    """``rules`` if their names are unique (a ValueError otherwise)."""
    names = [r.name for r in rules]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"expectation names must be unique: {', '.join(repeated)} listed more than once")
    return rules
