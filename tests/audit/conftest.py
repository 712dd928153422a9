"""The tables both audit engines read, built once per test session, and ``both``: a command run on each engine."""

from __future__ import annotations

import os
import shutil

import pytest

from lakehouse.audit import read as audit
from lakehouse.cli.main import execute
from tests.write.streams import DAYS, Project
from tests.write.test_scd2 import event
from tests.write.test_scd2_properties import TARGET


@pytest.fixture(scope="session")
def tables(spark, audit_table, tmp_path_factory):
    """name → path: the plain merge table (partitioned by day, in-commit timestamps), a copy after a RESTORE,
    a copy after VACUUM, a table with deletion vectors (a DELETE and an UPDATE wrote them), and a table without
    in-commit timestamps whose commit files' modification times were set (``plain``: 0, 100 and 200 s after
    2024-01-01T00:00Z), next to a copy of the merge table whose file times run backwards (``skewed``), and a
    history table (``scd2``) whose key 1 has three ``valid_from`` intervals."""
    restored = audit_table.copy("deltars_restored")
    audit.restore(spark, restored, version=0, confirm=True, reason="bad load")
    vacuumed = audit_table.copy("deltars_vacuumed")
    audit.vacuum(spark, vacuumed, 0, audit_window_days=30, force=True)
    dv = str(audit_table.project / "lake" / "deltars_dv")
    spark.sql(f"CREATE TABLE delta.`{dv}` (id BIGINT, name STRING, day DATE) USING delta "
              "TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')")
    spark.sql(f"INSERT INTO delta.`{dv}` SELECT id, concat('n', id), date_add(DATE'2024-01-01', CAST(id % 3 AS INT)) "
              "FROM range(0, 40)")
    spark.sql(f"DELETE FROM delta.`{dv}` WHERE id % 7 = 0")
    spark.sql(f"UPDATE delta.`{dv}` SET name = 'x' WHERE id = 5")
    plain = str(audit_table.project / "lake" / "deltars_plain")
    for i in range(3):
        spark.range(i * 10, i * 10 + 3).write.format("delta").mode("append").save(plain)
    base = 1704067200  # 2024-01-01T00:00:00Z
    for v in range(3):
        os.utime(f"{plain}/_delta_log/{v:020d}.json", (base + 100 * v, base + 100 * v))
    skewed = audit_table.copy("deltars_skewed")
    for v in range(3):  # the in-commit timestamps are today's; the files say 2024, newest first
        os.utime(f"{skewed}/_delta_log/{v:020d}.json", (base + 100 * (3 - v), base + 100 * (3 - v)))
    scd2 = Project.create(tmp_path_factory.mktemp("deltars_scd2"), TARGET)  # a history table (mode scd2)
    scd2.write_day(0, [event(1, "a", 2), event(2, "a", 2, day=DAYS[1])])
    scd2.write_day(1, [event(1, "b", 4), event(1, "z", 1)])  # z: older than the first version
    scd2.run(spark, 0)
    scd2.run(spark, 1)
    yield {"merge": audit_table.path, "scd2": scd2.table, "restored": restored, "vacuumed": vacuumed, "dv": dv, "plain": plain,
           "skewed": skewed}
    for path in (restored, vacuumed, dv, plain, skewed):
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def both(audit_table, capsys):
    """``both(*argv)`` → the (exit code, stdout, stderr) of the Spark engine and of delta-rs."""
    def _run(*argv, engines=("spark", "delta-rs")):
        out = []
        for engine in engines:
            code = execute([*argv, "--engine", engine, "--profile", "test",
                            "--conf-dir", str(audit_table.project / "conf")])
            out.append((code, *capsys.readouterr()))
        return out

    return _run
