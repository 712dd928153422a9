"""The first run creates the declared table; merges prune untouched partitions."""

import datetime as dt
import os

from delta.tables import DeltaTable

from tests.jobs import merge_spec, raw, table_path

D1, D2 = "2024-01-01", "2024-01-02"


def _files_by_partition(spark, path):
    files = spark.read.format("delta").load(path).inputFiles()
    by_day: dict[str, set[str]] = {}
    for f in files:
        by_day.setdefault(f.split("/day=")[1].split("/")[0], set()).add(f)
    return by_day


def test_first_run_creates_declared_partitioning_and_audit_properties(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I", "2,b,2024-01-02,1,I", "3,c,2024-01-02,1,I")
    run(merge_spec(), D1)
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{table_path(project)}`").first()
    assert detail["partitionColumns"] == ["day"]
    assert detail["properties"] == {
        "delta.enableChangeDataFeed": "true",
        "delta.enableInCommitTimestamps": "true",
        "delta.logRetentionDuration": "interval 30 days",
        "delta.deletedFileRetentionDuration": "interval 30 days",
    }
    folders = sorted(p for p in os.listdir(table_path(project)) if not p.startswith("_"))
    assert folders == ["day=2024-01-01", "day=2024-01-02"]
    # repartitioned by the partition column: one file per partition
    assert {day: len(files) for day, files in _files_by_partition(spark, table_path(project)).items()} == {
        "2024-01-01": 1, "2024-01-02": 1}


def test_merge_leaves_untouched_partitions_alone(spark, project, run):
    raw(project, D1, *[f"{i},r{i},2024-01-0{1 + i % 3},1,I" for i in range(1, 10)])
    run(merge_spec(), D1)
    path = table_path(project)
    before = _files_by_partition(spark, path)
    # A data file of an untouched partition is gone: a merge that scanned it would fail.
    os.remove(next(iter(before["2024-01-03"])).removeprefix("file:"))
    raw(project, D2, "3,changed,2024-01-01,2,U", "99,new,2024-01-01,2,I")
    summary = run(merge_spec(), D2)
    after = _files_by_partition(spark, path)
    assert after["2024-01-02"] == before["2024-01-02"]
    assert after["2024-01-03"] == before["2024-01-03"]
    last = DeltaTable.forPath(spark, path).history(1).first()
    metrics = last["operationMetrics"]
    assert (metrics["numTargetFilesRemoved"], metrics["numTargetFilesAdded"]) == ("1", "1")
    assert "day" in last["operationParameters"]["predicate"]
    assert (summary.outcome.inserted, summary.outcome.updated) == (1, 1)
    assert summary.partitions == [(dt.date(2024, 1, 1),)]
