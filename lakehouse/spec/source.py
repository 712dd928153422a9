"""Where a job reads from: raw files (CSV, JSON, Parquet) or a Delta table (:class:`DeltaSource`).

The models form one discriminated union on ``format``.  No Spark import here.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from lakehouse.errors import SpecError
from lakehouse.spec.expect import REJECTION_DEFAULT, Rejection
from lakehouse.spec.fields import (Identifier, Model, OptionValue, folder_below_root, run_date_path,
                                   run_date_template, source_path, table_name, unique)


class _Source(Model):
    path: Annotated[str, AfterValidator(run_date_template), AfterValidator(source_path)] = Field(
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
    missing_columns: Annotated[list[Identifier], AfterValidator(unique)] = Field(
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
    on_malformed: Rejection = Field(
        REJECTION_DEFAULT, description="`fail` stops the run at the first malformed record; `drop` skips "
                                       "malformed records and reports how many were dropped; `quarantine` "
                                       "also writes each one (its text in `_raw_record`) to the quarantine "
                                       "table.")


class JsonSource(_Source):
    """JSON lines (or whole-file JSON with `multiline: true`)."""

    format: Literal["json"]
    multiline: bool = Field(False, description="Each file holds one JSON document or array.")
    on_malformed: Rejection = Field(
        REJECTION_DEFAULT, description="`fail` stops the run at the first malformed record; `drop` skips "
                                       "malformed records and reports how many were dropped; `quarantine` "
                                       "also writes each one (its text in `_raw_record`) to the quarantine "
                                       "table.")


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
    path: Annotated[str, AfterValidator(folder_below_root), AfterValidator(_no_placeholder)] | None = Field(
        None, description="Table folder relative to the profile root `root` (as a target's `path`).")
    root: str = Field("lake", description="Name of the profile storage root the path is relative to.")
    table: Annotated[str, AfterValidator(table_name)] | None = Field(
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
