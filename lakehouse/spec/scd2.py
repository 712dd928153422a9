"""The rules of a history table (``mode: scd2``, slowly changing dimension type 2).  No Spark import here."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from lakehouse.spec.expect import REJECTION_DEFAULT, Rejection
from lakehouse.spec.fields import Identifier, Model, SqlExpression, unique


class HistoryColumns(Model):
    """The names of the three columns a history table adds to the data."""

    valid_from: Identifier = Field("valid_from", description="When the row's version starts (its `sequence_by`).")
    valid_to: Identifier = Field("valid_to", description="When the next version or a delete starts; NULL while current.")
    is_current: Identifier = Field("is_current", description="TRUE for the key's current row.")

    @property
    def names(self) -> list[str]:
        return [self.valid_from, self.valid_to, self.is_current]

    @model_validator(mode="after")
    def _distinct(self) -> "HistoryColumns":
        unique(self.names)
        return self


class Scd2Options(Model):
    """How a history table keeps every version of a row.

    The table holds the data columns plus ``valid_from``, ``valid_to`` and ``is_current``
    (names set in ``columns``).  Each event (a row of the source) has an order,
    ``sequence_by``; the rules, per key, over all events ever loaded:

    1. **Versions.** Events are taken in ``sequence_by`` order.  An event whose tracked
       columns differ from the current row closes it (its ``valid_to`` becomes the event's
       ``sequence_by``) and opens a new row with ``valid_from`` = the event's ``sequence_by``.
    2. **In place.** An event that changes only untracked columns (``sequence_by`` among
       them) updates the current row in place; one that repeats the current values changes
       nothing.
    3. **Deletes.** An event meeting ``delete_when`` closes the current row (no current row
       remains); the next event after it opens a new row, even with the old values.
    4. **Any delivery order.** A late event is put in its place: it splits the interval it
       falls in, or becomes the first version.  The history always equals what delivery in
       ``sequence_by`` order would have produced, because every run records its events in
       the Delta table ``_lakehouse_changes`` inside the table's folder and rebuilds the
       history of the keys it touches from all events in effect (a run undone by RESTORE,
       or superseded by a forced re-run of its date, no longer counts).
    5. **Ties.** Events of one key with equal ``sequence_by``: identical ones count once,
       a delete beats an update, and any other tie fails the run naming the keys, before
       anything is written.  A null ``sequence_by`` fails the run.

    Tracked columns are ``track_columns``, or else every column but the keys,
    ``sequence_by`` and ``ignore_columns``.

    Example::

        scd2:
          keys: [customer_id]
          sequence_by: updated_at
          track_columns: [email, country]
          delete_when: "op = 'D'"
    """

    keys: Annotated[list[Identifier], AfterValidator(unique)] = Field(
        min_length=1, description="Columns that identify a row (the entity whose history is kept).")
    sequence_by: Identifier = Field(
        description="Ordering column (e.g. `updated_at`); a row's `valid_from` is its value.")
    track_columns: Annotated[list[Identifier], AfterValidator(unique)] | None = Field(
        None, description="Columns whose change opens a new version (default: all but keys, sequence_by and "
                          "ignore_columns).")
    ignore_columns: Annotated[list[Identifier], AfterValidator(unique)] = Field(
        default_factory=list, description="Columns whose change updates the current row in place.")
    delete_when: SqlExpression | None = Field(
        None, description="Spark SQL condition on the source row that closes its key's current row, e.g. `op = 'D'`.")
    null_keys: Rejection = Field(
        REJECTION_DEFAULT, description="Rows with a null key: `fail` stops the run before writing; `drop` drops "
                                       "and counts them; `quarantine` also writes them to the quarantine table.")
    columns: HistoryColumns = Field(default_factory=HistoryColumns, description="Names of the history columns.")

    @model_validator(mode="after")
    def _consistent(self) -> "Scd2Options":
        if self.track_columns is not None and self.ignore_columns:
            raise ValueError("set track_columns or ignore_columns, not both")
        named = {*(self.track_columns or []), *self.ignore_columns}
        clash = sorted(named & {*self.keys, self.sequence_by})
        if clash or self.sequence_by in self.keys:
            raise ValueError(f"keys and sequence_by cannot be tracked or ignored columns: {', '.join(clash)}"
                             if clash else "sequence_by cannot be a key")
        taken = sorted(set(self.columns.names) & {*self.keys, self.sequence_by, *named})
        if taken:
            raise ValueError(f"history column names clash with data columns: {', '.join(taken)}")
        return self

    @property
    def ordering(self) -> list[str]:
        """The ordering columns (``sequence_by``), as for a merge."""
        return [self.sequence_by]

    def tracked(self, columns: list[str]) -> list[str]:
        """The tracked columns among the data ``columns``."""
        if self.track_columns is not None:
            return list(self.track_columns)
        return [c for c in columns if c not in (*self.keys, self.sequence_by, *self.ignore_columns)]
