"""Which engine answers an audit command: Spark, or delta-rs without a JVM.  The one place of that rule.

Rules (:func:`choose`):

* ``--engine spark`` is always Spark.  ``--engine auto`` (the default) takes delta-rs when it can answer,
  else Spark.  ``--engine delta-rs`` takes delta-rs, or says in one line why it cannot (a usage error).
* delta-rs answers for a table in a local folder (not a metastore name, not a URI such as ``s3://``) when
  the ``audit`` extra (``deltalake``, ``pyarrow``) is installed.
* Commands that read rows (``show``, ``diff``, ``history --key``) need more: a table delta-rs can read
  (its protocol asks for no reader feature delta-rs lacks, such as deletion vectors), columns whose text
  :mod:`lakehouse.audit.arrow_text` spells as Spark does, and a ``--where`` that
  :mod:`lakehouse.audit.where` translates.  ``history`` only parses the log: any local table.
* A request only Spark serves (``diff --method cdf``) names itself in ``spark_only``.

Example::

    chosen = choose("auto", TableRef(path="lake/orders"), rows=True, where="id = 3")
    chosen.name      # "delta-rs"
    chosen.where     # the pyarrow filter of "id = 3"
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from lakehouse.errors import UsageError
from lakehouse.spec.profile import is_uri

ENGINES = ("auto", "spark", "delta-rs")


@dataclass(frozen=True)
class Engine:
    """The engine chosen (``spark`` or ``delta-rs``) and, for delta-rs, the pyarrow filter of ``--where``."""

    name: str
    where: object | None = None


def available() -> bool:
    """delta-rs and pyarrow can be imported."""
    return all(importlib.util.find_spec(name) is not None for name in ("deltalake", "pyarrow"))


def choose(engine: str, ref, *, rows: bool, where: str | None = None, spark_only: str | None = None) -> Engine:
    """The engine for ``--engine`` ``engine`` and the table ``ref`` (see the module rules); ``rows``: the
    command reads the table's rows; ``where``: ``show``'s condition; ``spark_only``: why the request
    needs Spark (None: it does not)."""
    if engine == "spark":
        return Engine("spark")
    reason, condition = _why_not(ref, rows, where, spark_only)
    if reason is None:
        return Engine("delta-rs", condition)
    if engine == "delta-rs":
        raise UsageError(f"--engine delta-rs cannot read {reason}; use --engine spark or auto")
    return Engine("spark")


def _why_not(ref, rows: bool, where: str | None, spark_only: str | None) -> tuple[str | None, object | None]:
    if ref.name:
        return "a metastore table", None
    if is_uri(ref.path):
        return "a table at a URI", None
    if spark_only:
        return spark_only, None
    if not available():
        return "without the audit extra (pip install 'lakehouse[audit]')", None
    if not rows:
        return None, None
    from lakehouse.table.pylog import read_local

    if not read_local(ref.path, readability=False).commits:  # the delta-rs path says there is no table
        return None, None
    from deltalake import DeltaTable

    from lakehouse.audit import arrow_text
    from lakehouse.audit.where import translate

    table = DeltaTable(ref.path)
    missing = unsupported_features(table.protocol())
    if missing:
        return f"a table with reader features delta-rs lacks ({', '.join(missing)})", None
    schema = arrow_schema(table)
    odd = [f"{f.name} ({f.type})" for f in schema if arrow_text.kind_of(f.type) is None]
    if odd:
        return f"columns whose text only Spark spells: {', '.join(odd)}", None
    if where is None:
        return None, None
    condition, why = translate(where, schema)
    if condition is None:
        return f"--where {where!r} ({why}; delta-rs takes simple comparisons, IN, IS NULL, AND, OR, NOT)", None
    return None, condition


def unsupported_features(protocol) -> list[str]:
    """The reader features of ``protocol`` delta-rs cannot read (deltalake's own check, before it reads)."""
    from deltalake import table as rs

    if protocol.min_reader_version > rs.MAX_SUPPORTED_READER_VERSION:
        return [f"reader version {protocol.min_reader_version}"]
    if protocol.min_reader_version < 3 or not protocol.reader_features:
        return []
    return sorted(set(protocol.reader_features) - set(rs.SUPPORTED_READER_FEATURES))


def arrow_schema(table):
    """The pyarrow schema of a deltalake ``DeltaTable``'s snapshot, in the table's column order."""
    import pyarrow as pa

    return pa.schema(table.schema().to_arrow())
