"""The job spec: what one YAML file in ``jobs/`` declares.

A job reads one source (raw files, or a Delta table: :class:`DeltaSource`), applies a fixed
sequence of transforms, and writes one Delta table in one of four modes.  The models are strict
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

import datetime as dt
import posixpath
import re
import string
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from lakehouse._sql import IDENTIFIER_RE, TABLE_NAME_RE
from lakehouse.errors import SpecError


def _identifier(name: str) -> str:
    if not IDENTIFIER_RE.match(name):
        raise ValueError(
            f"{name!r} is not a valid column name (letters, digits and _, not starting with a digit)")
    return name


def _unique(names: list[str]) -> list[str]:
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)} listed more than once")
    return names


def _path_problem(path: str) -> str | None:
    """Why ``path`` is not a path below its root (not empty, not absolute, not a URI, no `..`), or None."""
    if not path:
        return "must not be empty"
    if path.startswith("/") or ".." in path.split("/") or "://" in path:
        return "must be relative to its root, without '..' (roots are set in the profile)"
    return None


def _relative_path(path: str) -> str:
    """A path below its root (see :func:`_path_problem`)."""
    problem = _path_problem(path)
    if problem:
        raise ValueError(f"{path!r} {problem}" if path else problem)
    return path


def _folder_below_root(path: str) -> str:
    """A table folder: a relative path that, normalised, still names a folder below the root (not `.`)."""
    if posixpath.normpath(_relative_path(path)) == ".":
        raise ValueError(f"{path!r} must name a folder below its root, not the root itself")
    return path


SAMPLE_RUN_DATE = dt.date(2024, 12, 31)
"""The run date a source path is formatted with when a spec is validated (each run checks its own)."""


def run_date_path(template: str, run_date: dt.date) -> str:
    """``template`` with ``{run_date}`` filled in; a ValueError unless the RESULT is a path below
    its root (so a format such as ``{run_date:..}`` cannot lead outside the root)."""
    path = template.format(run_date=run_date)
    problem = _path_problem(path)
    if problem and path != template:
        raise ValueError(f"{template!r} becomes {path!r} for run date {run_date}, which {problem}")
    return _relative_path(path)


def _source_path(template: str) -> str:
    """A source path template whose result, for a sample run date, is a relative path."""
    run_date_path(template, SAMPLE_RUN_DATE)
    return template


def _table_name(name: str) -> str:
    if not TABLE_NAME_RE.match(name):
        raise ValueError(f"{name!r} is not a valid table name (table, schema.table or catalog.schema.table)")
    return name


def _delta_property(name: str) -> str:
    if not re.match(r"^delta\.[A-Za-z0-9_.-]+$", name):
        raise ValueError(f"{name!r} is not a Delta table property: only `delta.*` properties can be set")
    return name


def _run_date_template(path: str) -> str:
    for _, field, _, _ in string.Formatter().parse(path):
        if field not in (None, "run_date"):
            raise ValueError(f"unknown placeholder {{{field}}} in path; only {{run_date}} is supported")
    return path


Identifier = Annotated[str, AfterValidator(_identifier)]
"""A column name: letters, digits and underscores, not starting with a digit."""

OptionValue = Union[str, bool, int, float]


class Model(BaseModel):
    """Base of every spec model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --------------------------------------------------------------------------- source

class _Source(Model):
    path: Annotated[str, AfterValidator(_run_date_template), AfterValidator(_source_path)] = Field(
        description="Files to read, relative to the profile root `root`. `{run_date}` is replaced by the "
                    "run date (`{run_date:%Y/%m/%d}` takes a strftime format). Globs are allowed.")
    root: str = Field("raw", description="Name of the profile storage root the path is relative to.")
    schema_: str = Field(alias="schema", min_length=1,
                         description="Explicit schema as a Spark DDL string, e.g. `id BIGINT, name STRING`.")
    options: dict[str, OptionValue] = Field(
        default_factory=dict, description="Extra Spark reader options, passed through unchanged.")
    allow_empty: bool = Field(
        False, description="A run whose files hold no rows succeeds and records its run date as loaded. "
                           "Otherwise it fails, so an empty or truncated delivery never marks a day as loaded.")
    missing_columns: Annotated[list[Identifier], AfterValidator(_unique)] = Field(
        default_factory=list, description="Declared columns a Parquet or JSON file may lack (read as NULL). "
                                          "Every other declared column must be in every file.")

    def resolve_path(self, run_date: dt.date) -> str:
        """The path with ``{run_date}`` filled in (still relative to the root), checked again for this date."""
        try:
            return run_date_path(self.path, run_date)
        except ValueError as exc:
            raise SpecError(str(exc), field="source.path") from None


class CsvSource(_Source):
    """Delimited text files."""

    format: Literal["csv"]
    header: bool = Field(True, description="The first line of each file holds column names.")
    delimiter: str = Field(",", min_length=1, description="Field separator.")
    header_match: Literal["name", "position"] = Field(
        "name", description="`name`: each file's header must name the schema's columns in order "
                            "(case-insensitive), else the run fails naming the file and the columns. "
                            "`position`: the header is skipped and columns are read by position.")
    on_malformed: Literal["fail", "drop"] = Field(
        "fail", description="`fail` stops the run at the first malformed record; `drop` skips "
                            "malformed records and reports how many were dropped.")


class JsonSource(_Source):
    """JSON lines (or whole-file JSON with `multiline: true`)."""

    format: Literal["json"]
    multiline: bool = Field(False, description="Each file holds one JSON document or array.")
    on_malformed: Literal["fail", "drop"] = Field(
        "fail", description="`fail` stops the run at the first malformed record; `drop` skips "
                            "malformed records and reports how many were dropped.")


class ParquetSource(_Source):
    """Parquet files; the declared schema is applied on read."""

    format: Literal["parquet"]


def _no_placeholder(path: str) -> str:
    if "{" in path or "}" in path:
        raise ValueError(f"{path!r}: a Delta source names one table, without {{run_date}} or other placeholders")
    return path


def _timestamp(text: str) -> str:
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a timestamp such as 2024-03-01 or 2024-03-01 12:00:00") from None
    return text


class AsOf(Model):
    """The source version a snapshot reads: exactly one of `version` or `timestamp`."""

    version: int | None = Field(None, ge=0, description="A version of the source table.")
    timestamp: Annotated[str, AfterValidator(_timestamp)] | None = Field(
        None, description="The latest version committed at or before this time (session time zone), "
                          "e.g. `2024-03-01 12:00:00`.")

    @model_validator(mode="after")
    def _one(self) -> "AsOf":
        if (self.version is None) == (self.timestamp is None):
            raise ValueError("set exactly one of `version` or `timestamp`")
        return self


class DeltaSource(Model):
    """A Delta table, read as a snapshot or as the changes (change data feed) since this job's last load.

    ``changes`` reads, exactly once, the source versions after the newest one that this job's loads still
    in effect in the target read (RESTOREd loads do not count; a ``snapshot`` load counts as read through
    its version).  The rows carry ``_change_type`` (``insert``, ``update_postimage``, ``delete``; pre-images
    are dropped), ``_commit_version`` and ``_commit_timestamp``; a snapshot reads as the inserts of its
    version, with the same columns.  The range is recorded in the target commit's lineage: a re-run of a
    loaded date is skipped, a forced one reads the same range again.
    """

    format: Literal["delta"]
    path: Annotated[str, AfterValidator(_folder_below_root), AfterValidator(_no_placeholder)] | None = Field(
        None, description="Table folder relative to the profile root `root` (as a target's `path`).")
    root: str = Field("lake", description="Name of the profile storage root the path is relative to.")
    table: Annotated[str, AfterValidator(_table_name)] | None = Field(
        None, description="Metastore table name (`schema.table` or `catalog.schema.table`) instead of a path.")
    read: Literal["snapshot", "changes"] = Field(
        "snapshot", description="`snapshot`: the table at its latest version (or `as_of`). `changes`: the "
                                "change data feed since the last version this job consumed.")
    as_of: AsOf | None = Field(None, description="The version a `snapshot` reads (default: the latest).")
    schema_: str | None = Field(
        None, alias="schema", min_length=1,
        description="Optional Spark DDL: only these columns are read (then the change columns), and each "
                    "must have this type in the table (the run fails naming the column otherwise). "
                    "Default: every column of the table.")

    @field_validator("as_of")
    @classmethod
    def _as_of_with_snapshot(cls, as_of: AsOf | None, info: ValidationInfo) -> AsOf | None:
        if as_of is not None and info.data.get("read") == "changes":  # pydantic's validated fields so far
            raise ValueError("as_of needs read: snapshot (read: changes always reads up to the latest version)")
        return as_of

    @model_validator(mode="after")
    def _path_or_table(self) -> "DeltaSource":
        if (self.path is None) == (self.table is None):
            raise ValueError("set exactly one of `path` or `table`")
        return self


Source = Annotated[Union[CsvSource, JsonSource, ParquetSource, DeltaSource], Field(discriminator="format")]


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
    derive: dict[Identifier, str] = Field(
        default_factory=dict, description="new column: Spark SQL expression, evaluated in order.")
    filter: list[str] = Field(default_factory=list, description="Spark SQL conditions; rows must meet all.")

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


# --------------------------------------------------------------------------- target

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

    keys: Annotated[list[Identifier], AfterValidator(_unique)] = Field(
        min_length=1, description="Columns that identify a row.")
    sequence_by: Identifier | None = Field(
        None, description="Ordering column (e.g. `updated_at`): the newest row per key wins, in the "
                          "increment and against the table. See the ordering rules.")
    tie_breaker: Identifier | None = Field(
        None, description="Second ordering column, compared when `sequence_by` is equal (e.g. a CDC log "
                          "position). Needs `sequence_by`.")
    delete_when: str | None = Field(
        None, description="Spark SQL condition on the increment row that deletes its key, e.g. `op = 'D'`.")
    exclude_from_update: list[Identifier] = Field(
        default_factory=list, description="Columns written on insert but never changed by an update.")
    update_only_changed: bool = Field(
        True, description="Leave a matched row alone when every column an update would write is equal "
                          "(`sequence_by` included); `false` rewrites it anyway.")
    null_keys: Literal["fail", "drop"] = Field(
        "fail", description="`fail` stops the run before writing; `drop` drops and counts such rows.")
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
    path: Annotated[str, AfterValidator(_folder_below_root)] | None = Field(
        None, description="Table folder relative to the profile root `root`; it must name a folder below "
                          "the root (not `.`).")
    root: str = Field("lake", description="Name of the profile storage root the path is relative to.")
    table: Annotated[str, AfterValidator(_table_name)] | None = Field(
        None, description="Metastore table name (`schema.table` or `catalog.schema.table`) instead of a path.")
    partition_by: Annotated[list[Identifier], AfterValidator(_unique)] = Field(
        default_factory=list, description="Partition columns; may name a derived column.")
    properties: dict[Annotated[str, AfterValidator(_delta_property)], str] = Field(
        default_factory=dict, description="Delta table properties (`delta.*`) set when the table is created; "
                                          "they override the audit defaults.")
    repartition: bool = Field(
        True, description="Repartition the data by the partition columns before writing, so each "
                          "partition gets few, large files.")
    retention_days: int | None = Field(
        None, ge=1, description="Audit window in days (log and deleted-file retention); "
                                "defaults to the profile's `audit.retention_days`.")

    @model_validator(mode="after")
    def _path_or_table(self) -> "_Target":
        if (self.path is None) == (self.table is None):
            raise ValueError("set exactly one of `path` or `table`")
        return self


class MergeTarget(_Target):
    """Upsert the increment by key (with deletes, when `merge.delete_when` is set)."""

    mode: Literal["merge"]
    merge: MergeOptions


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


Target = Annotated[Union[MergeTarget, AppendTarget, OverwriteTarget, ReplacePartitionsTarget],
                   Field(discriminator="mode")]


# ------------------------------------------------------------------------------ job

class JobSpec(Model):
    """One job: read `source`, apply `transform`, write `target`."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")] = Field(
        description="Job name, recorded in every commit the job makes.")
    description: str = Field("", description="Free text for people.")
    source: Source
    transform: Transform = Field(default_factory=Transform)
    target: Target
