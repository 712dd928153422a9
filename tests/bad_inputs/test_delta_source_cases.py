"""Mistakes and gaps of a Delta source: one line, the documented exit code, nothing written.

A ``changes`` read whose range the source's change data feed does not cover (never enabled,
enabled after the range starts, change files vacuumed, log versions cleaned up) fails before
anything is read into the run; the message says how to recover.
"""

import pytest
from delta.tables import DeltaTable

from tests.bad_inputs.harness import Case, check
from tests.jobs import SCHEMA

ROWS = [(1, "a", None, 1, "I")]
RENAME = {"_change_type": "change_type", "_commit_version": "source_version", "_commit_timestamp": "committed_at"}
RECOVER = ("Reload from a snapshot (source.read: snapshot, with --force if the date is loaded); later `changes` runs "
           "continue after the snapshot's version")


def reads(path: str, rename: bool = True, **source):
    """An edit: the job reads Delta table ``lake/<path>`` and appends to a new table."""
    def edit(spec: dict) -> None:
        spec["source"] = {"format": "delta", "path": path, **source}
        spec["transform"] = {"rename": RENAME} if rename else {}
        spec["target"] = {"path": f"from_{path}", "mode": "append"}
    return edit


def source_table(name: str, *, cdf: bool, commits: int = 1, then=None):
    """Setup: Delta table ``lake/<name>`` written ``commits`` times, then ``then(spark, path)``."""
    def setup(world, case, date):
        path = str(world.project / "lake" / name)
        df = world.spark.createDataFrame(ROWS, SCHEMA)
        df.write.format("delta").option("delta.enableChangeDataFeed", str(cdf).lower()) \
            .option("delta.checkpointInterval", "2").save(path)
        for _ in range(commits - 1):
            df.write.format("delta").mode("append").save(path)
        if then:
            then(world.spark, path)
    return setup


def enable_cdf_and_append(spark, path):
    spark.sql(f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES (delta.enableChangeDataFeed = true)")
    spark.createDataFrame(ROWS, SCHEMA).write.format("delta").mode("append").save(path)


def overwrite_and_vacuum(spark, path):
    spark.createDataFrame(ROWS, SCHEMA).write.format("delta").mode("overwrite").save(path)
    spark.conf.set("spark.databricks.delta.retentionDurationCheck.enabled", "false")
    try:
        DeltaTable.forPath(spark, path).vacuum(0)
    finally:
        spark.conf.unset("spark.databricks.delta.retentionDurationCheck.enabled")


def clean_log(spark, path):
    """Remove the log's first commits, as log retention does once a checkpoint covers them."""
    import pathlib

    for version in (0, 1):
        pathlib.Path(path, "_delta_log", f"{version:020d}.json").unlink()


CASES = [
    Case("changes-never-recorded", "{job}: source: table lake/nocdf: change data was not recorded for version 0 "
                                   "(delta.enableChangeDataFeed was not true then), so versions 0 to 0 cannot be "
                                   f"read as changes; nothing was written. {RECOVER}", 3,
         edit=reads("nocdf", read="changes"), setup=source_table("nocdf", cdf=False)),
    Case("changes-recorded-too-late", "{job}: source: table lake/latecdf: change data was not recorded for version "
                                      "0 (delta.enableChangeDataFeed was not true then), so versions 0 to 2 cannot "
                                      f"be read as changes; nothing was written. {RECOVER}", 3,
         edit=reads("latecdf", read="changes"),
         setup=source_table("latecdf", cdf=False, then=enable_cdf_and_append)),
    Case("changes-vacuumed", "{job}: source: table lake/vacuumed: files of the versions this run reads are gone "
                             f"(vacuumed or deleted); nothing was written. {RECOVER}", 3,
         edit=reads("vacuumed", read="changes"), setup=source_table("vacuumed", cdf=True, then=overwrite_and_vacuum)),
    Case("snapshot-vacuumed", "{job}: source: table lake/vacsnap: files of the versions this run reads are gone "
                              "(vacuumed or deleted); nothing was written. Read a version whose files are kept (a "
                              "later source.as_of, or none for the latest)", 3,
         edit=reads("vacsnap", as_of={"version": 0}),
         setup=source_table("vacsnap", cdf=True, then=overwrite_and_vacuum)),
    Case("changes-log-cleaned", "{job}: source: the change data of table {project}/lake/cleaned does not cover "
                                "versions 0 to 3: its log starts at version 2 (older versions were cleaned up); "
                                f"nothing was written. {RECOVER}", 3,
         edit=reads("cleaned", read="changes"), setup=source_table("cleaned", cdf=True, commits=4, then=clean_log)),
    Case("source-table-missing", "{job}: source.path: no Delta table at {project}/lake/nope (run the job that "
                                 "writes it first)", 3, edit=reads("nope")),
    Case("as-of-version-missing", "{job}: source.as_of.version: table {project}/lake/things_csv holds versions 0 "
                                  "to 0 in its log, not 7", 3, edit=reads("things_csv", as_of={"version": 7})),
    Case("declared-column-missing", "{job}: source.schema: table {project}/lake/things_csv has no column price "
                                    "(columns: id, name, day, seq, op)", 3,
         edit=reads("things_csv", schema="id BIGINT, price DOUBLE")),
    Case("declared-type-differs", "{job}: source.schema: column seq is INT in table {project}/lake/things_csv, the "
                                  "spec declares STRING", 3, edit=reads("things_csv", schema="id BIGINT, seq STRING")),
    Case("change-columns-kept", "{job}: transform.rename: columns _change_type, _commit_version, _commit_timestamp "
                                "are reserved by the change data feed of the target table: rename them (e.g. "
                                "_commit_version: source_version) or set target.properties "
                                "delta.enableChangeDataFeed: 'false'", 2, edit=reads("things_csv", rename=False)),
]


@pytest.mark.parametrize("index, case", list(enumerate(CASES)), ids=[c.id for c in CASES])
def test_bad_delta_source(world, capfd, index, case):
    check(world, case, index, capfd)
