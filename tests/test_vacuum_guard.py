"""``vacuum`` deletes files only in a folder that holds a Delta table's own ``_delta_log``.

``DeltaTable.isDeltaTable`` answers yes for a partition folder inside a table (it walks up to
the table), so vacuuming such a folder, or a folder of plain files, must fail and delete nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.audit import read as audit
from lakehouse.errors import LakehouseError, TableError


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def table(spark, tmp_path) -> Path:
    """A small partitioned Delta table with an older version, so a zero-hour vacuum has files to delete."""
    path = tmp_path / "things"
    rows = spark.range(4).selectExpr("id", "CAST(id % 2 AS INT) AS part")
    rows.write.format("delta").partitionBy("part").save(str(path))
    rows.write.format("delta").mode("overwrite").partitionBy("part").save(str(path))
    return path


@pytest.mark.parametrize("where", ["partition", "plain", "missing"])
def test_vacuum_refuses_a_folder_without_its_own_delta_log(spark, table, tmp_path, where):
    folder = {"partition": table / "part=0", "plain": tmp_path / "plain", "missing": tmp_path / "nothing"}[where]
    if where == "plain":
        folder.mkdir()
        (folder / "part-00000.parquet").write_bytes(b"not a table")
        (folder / "notes.txt").write_text("keep me")
    before, table_before = _files(tmp_path), _files(table)
    with pytest.raises(TableError) as err:
        audit.vacuum(spark, str(folder), 0, audit_window_days=30, force=True)
    assert str(err.value) == f"no Delta table at {folder} (no _delta_log folder)"
    assert _files(tmp_path) == before and _files(table) == table_before


@pytest.mark.parametrize("suffix", ["", "/"])
def test_the_table_folder_itself_passes_the_guard(spark, table, suffix):
    """The next rule (the audit window) speaks: the guard let the table through (vacuum itself is
    exercised in test_audit.py; it is slow)."""
    with pytest.raises(LakehouseError, match=r"^refusing to vacuum .* keeping only 1 hours"):
        audit.vacuum(spark, f"{table}{suffix}", 1, audit_window_days=30)
