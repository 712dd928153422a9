"""Every commit a job makes carries the run's lineage in Delta's userMetadata."""

import json

from lakehouse.table.lineage import RunLineage, SourceFile, source_digest
from tests.jobs import merge_spec, raw, table_path


def test_history_names_the_run_and_its_files(spark, project, run):
    f1 = raw(project, "2024-01-01", "1,a,2024-01-01,1,I", "2,b,2024-01-01,1,I")
    f2 = raw(project, "2024-01-01", "3,c,2024-01-02,1,I", name="part-2.csv")
    summary = run(merge_spec(), "2024-01-01")
    row = spark.sql(f"DESCRIBE HISTORY delta.`{table_path(project)}`").select("version", "userMetadata").first()
    assert row["version"] == 0
    files = [SourceFile(f"file://{f}", f.stat().st_size, f.stat().st_mtime_ns // 1_000_000) for f in (f1, f2)]
    assert json.loads(row["userMetadata"]) == {"lakehouse": {
        "job": "things", "run_date": "2024-01-01", "run_id": summary.run_id, "mode": "merge", "keys": ["id"],
        "source_files": [f"file://{f1}", f"file://{f2}"], "source_file_count": 2,
        "source_stamps": {f.path: [f.size, f.modified] for f in files}, "source_digest": source_digest(files),
        "rows": {"read": 3, "malformed_dropped": 0, "filtered_out": 0, "expect_dropped": 0, "null_keys_dropped": 0,
                 "duplicates_resolved": 0, "quarantined": 0, "increment": 3}}}
    assert RunLineage.from_user_metadata(row["userMetadata"]).run_id == summary.run_id
