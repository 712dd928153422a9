"""Where a job writes: one Delta table, in one of five modes (a discriminated union on ``mode``),
and the merge rules (:class:`MergeOptions`).  No Spark import here."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import AfterValidator, Field, model_validator

from lakehouse.spec.expect import REJECTION_DEFAULT, Rejection
from lakehouse.spec.fields import Identifier, Model, SqlExpression, delta_property, folder_below_root, table_name, unique
from lakehouse.spec.scd2 import Scd2Options


class MergeOptions(Model):
    """How an increment is merged into the table by key.

    The ordering rules (with ``sequence_by``; ``tie_breaker`` extends the ordering):

    1. **Order.** A row's *order* is ``(sequence_by, tie_breaker)``. A row with a null
       ``sequence_by`` fails the run, naming its keys.
    2. **Within an increment** only the newest row per key counts. At an equal order a
       delete beats an update; rows equal in every column collapse into one; any other
       tie fails the run before writing, naming the keys. Never the file order.
    3. **Against the table.** A key's *state* is its stored row, or else its newest live
       tombstone. A row older than the state never changes the table. A newer row always
       wins: an update advances the stored row (even when only ``sequence_by`` changed),
       a delete removes it and leaves a tombstone. At an equal order a stored row is left
       alone when every column an update would write is equal, is deleted by a delete, and
       any other tie fails the run naming the keys; a tombstone beats every row of equal
       order. The stored row of a key therefore always carries the newest order seen.
    4. **Tombstones.** Every delete that wins writes a tombstone (keys, order, run id, run
       date) in the same run, into the Delta table ``_lakehouse_tombstones`` inside the
       table's folder (Delta's VACUUM of the table skips ``_`` folders; ``lakehouse vacuum``
       vacuums both). A tombstone applies to loads whose run date is at most
       ``tombstone_days`` after its own; a tombstone whose run was undone by RESTORE, or
       whose run never committed, is ignored.
    5. **Partition moves.** A key is looked up in every partition where it is stored, not
       only in the increment's partitions: a newer row with other partition values moves
       the row in the same commit, so a key never has two live rows.

    Without ``sequence_by`` there is no order: the increment wins, duplicate keys fail the
    run, deletes leave no tombstones.

    Example::

        merge:
          keys: [order_id]
          sequence_by: updated_at
          tie_breaker: change_id
          delete_when: "op = 'D'"
    """

    keys: Annotated[list[Identifier], AfterValidator(unique)] = Field(
        min_length=1, description="Columns that identify a row.")
    sequence_by: Identifier | None = Field(
        None, description="Ordering column (e.g. `updated_at`): the newest row per key wins, in the "
                          "increment and against the table. See the ordering rules.")
    tie_breaker: Identifier | None = Field(
        None, description="Second ordering column, compared when `sequence_by` is equal (e.g. a CDC log "
                          "position). Needs `sequence_by`.")
    delete_when: SqlExpression | None = Field(
        None, description="Spark SQL condition on the increment row that deletes its key, e.g. `op = 'D'`.")
    exclude_from_update: list[Identifier] = Field(
        default_factory=list, description="Columns written on insert but never changed by an update.")
    update_only_changed: bool = Field(
        True, description="Leave a matched row alone when every column an update would write is equal "
                          "(`sequence_by` included); `false` rewrites it anyway.")
    null_keys: Rejection = Field(
        REJECTION_DEFAULT, description="`fail` stops the run before writing; `drop` drops and counts such "
                                       "rows; `quarantine` also writes them to the quarantine table.")
    tombstone_days: int | None = Field(
        None, ge=1, description="How many run days a delete's tombstone keeps older rows of its key out; "
                                "defaults to the table's audit window (`target.retention_days`).")

    @model_validator(mode="after")
    def _keys_not_excluded(self) -> "MergeOptions":
        clash = sorted(set(self.keys) & set(self.exclude_from_update))
        if clash:
            raise ValueError(f"key columns cannot be excluded from update: {', '.join(clash)}")
        if self.tie_breaker and not self.sequence_by:
            raise ValueError("tie_breaker needs sequence_by")
        ordering = {self.sequence_by, self.tie_breaker} - {None}
        if ordering & set(self.keys) or ordering & set(self.exclude_from_update):
            raise ValueError("sequence_by and tie_breaker cannot be keys or excluded from update")
        return self

    @property
    def ordering(self) -> list[str]:
        """The ordering columns: ``sequence_by`` then ``tie_breaker`` (empty without a sequence)."""
        return [c for c in (self.sequence_by, self.tie_breaker) if c]

    @property
    def keeps_tombstones(self) -> bool:
        """Deletes leave tombstones only where rows are ordered."""
        return bool(self.sequence_by and self.delete_when)


class _Target(Model):
    """What every target mode shares: where the table is, how it is laid out, and how a run whose
    columns differ from the table's is handled (``on_schema_change``).

    ``on_schema_change`` rules (checked before anything is written; one place:
    :mod:`lakehouse.write.evolve`):

    * ``fail`` (default): any difference in columns or types fails the run; nothing is written.
    * ``add_columns``: the run's new columns are added to the table in the same commit as the
      data (a merge uses Delta's merge schema evolution, the other modes the writer's
      ``mergeSchema``); rows written before read NULL in them.  A column's type may widen where
      Delta 4.0 widens by itself (BYTE < SHORT < INT < BIGINT, FLOAT to DOUBLE, DECIMAL(p, s) to
      DECIMAL(p + k1, s + k2) with k1 >= k2 >= 0) and the table has ``delta.enableTypeWidening``.
    * ``ignore_new``: the run's new columns are dropped before the write; the run summary names them.
    * Under every policy: a table column the run lacks fails the run naming it (no policy drops or
      nulls a column); any other type change is refused naming the column and both types; a
      partition column, merge key, ``sequence_by`` or ``tie_breaker`` can be neither new nor change
      type; nullability is never a difference.
    * Each change is recorded in the commit's lineage (``schema_changes``) and shown by
      ``lakehouse history`` and the run summary.

    Example::

        target:
          path: orders
          mode: merge
          on_schema_change: add_columns     # the export gained `channel`: add it with the data
          properties:
            delta.enableTypeWidening: "true"   # also let INT become BIGINT, DECIMAL(10,2) DECIMAL(12,2)
          merge: {keys: [order_id]}
    """

    path: Annotated[str, AfterValidator(folder_below_root)] | None = Field(
        None, description="Table folder relative to the profile root `root`; it must name a folder below "
                          "the root (not `.`).")
    root: str = Field("lake", description="Name of the profile storage root the path is relative to.")
    table: Annotated[str, AfterValidator(table_name)] | None = Field(
        None, description="Metastore table name (`schema.table` or `catalog.schema.table`) instead of a path.")
    partition_by: Annotated[list[Identifier], AfterValidator(unique)] = Field(
        default_factory=list, description="Partition columns; may name a derived column.")
    properties: dict[Annotated[str, AfterValidator(delta_property)], str] = Field(
        default_factory=dict, description="Delta table properties (`delta.*`) set when the table is created; "
                                          "they override the audit defaults.")
    repartition: bool = Field(
        True, description="Repartition the data by the partition columns before writing, so each "
                          "partition gets few, large files.")
    retention_days: int | None = Field(
        None, ge=1, description="Audit window in days (log and deleted-file retention); "
                                "defaults to the profile's `audit.retention_days`.")
    on_schema_change: Literal["fail", "add_columns", "ignore_new"] = Field(
        "fail", description="A run whose columns differ from the table's: `fail` stops it; `add_columns` adds "
                            "its new columns (and widens types where Delta can) in the same commit; "
                            "`ignore_new` drops its new columns. A column the table has but the run lacks "
                            "always fails.")

    @property
    def row_keys(self) -> list[str]:
        """The columns that identify one stored row (recorded in the lineage for audits); none by default."""
        return []

    @model_validator(mode="after")
    def _path_or_table(self) -> "_Target":
        if (self.path is None) == (self.table is None):
            raise ValueError("set exactly one of `path` or `table`")
        return self


class MergeTarget(_Target):
    """Upsert the increment by key (with deletes, when `merge.delete_when` is set)."""

    mode: Literal["merge"]
    merge: MergeOptions

    @property
    def row_keys(self) -> list[str]:
        return list(self.merge.keys)


class Scd2Target(_Target):
    """Keep every version of each key's row, with validity intervals (see :class:`Scd2Options`)."""

    mode: Literal["scd2"]
    scd2: Scd2Options

    @property
    def row_keys(self) -> list[str]:
        """A key has one row per version: the keys and ``valid_from`` identify a row."""
        return [*self.scd2.keys, self.scd2.columns.valid_from]


class AppendTarget(_Target):
    """Append the run's rows."""

    mode: Literal["append"]


class OverwriteTarget(_Target):
    """Replace the whole table with the run's rows."""

    mode: Literal["overwrite"]


class ReplacePartitionsTarget(_Target):
    """Replace exactly the partitions present in the run's rows (Delta `replaceWhere`)."""

    mode: Literal["replace_partitions"]

    @model_validator(mode="after")
    def _needs_partitions(self) -> "ReplacePartitionsTarget":
        if not self.partition_by:
            raise ValueError("mode replace_partitions needs `partition_by`")
        return self


Target = Annotated[Union[MergeTarget, Scd2Target, AppendTarget, OverwriteTarget, ReplacePartitionsTarget],
                   Field(discriminator="mode")]
