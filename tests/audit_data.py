"""The table the audit tests read: three runs of a merge job (plain data and one builder)."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.jobs import SCHEMA, make_project, merge_spec, raw
RUNS = {  # run date: CSV rows id,name,day,seq,op
    "2024-01-01": ["1,a,2024-01-01,1,I", "2,b,2024-01-01,1,I", "3,c,2024-01-02,1,I"],
    "2024-01-02": ["2,B,2024-01-01,2,U", "3,c,2024-01-02,2,D", "4,d,2024-01-02,2,I"],
    "2024-01-03": ["2,BB,2024-01-01,3,U", "5,e,2024-01-03,3,I"],
}
SNAPSHOTS = [  # the table after each version
    [(1, "a", "2024-01-01", 1, "I"), (2, "b", "2024-01-01", 1, "I"), (3, "c", "2024-01-02", 1, "I")],
    [(1, "a", "2024-01-01", 1, "I"), (2, "B", "2024-01-01", 2, "U"), (4, "d", "2024-01-02", 2, "I")],
    [(1, "a", "2024-01-01", 1, "I"), (2, "BB", "2024-01-01", 3, "U"), (4, "d", "2024-01-02", 2, "I"),
     (5, "e", "2024-01-03", 3, "I")],
]


@dataclass(frozen=True)
class AuditTable:
    project: Path
    path: str

    def copy(self, name: str) -> str:
        """A copy of the table folder (history, in-commit timestamps and all) to change freely."""
        target = self.project / "lake" / name
        shutil.copytree(self.path, target)
        return str(target)


def build(spark, project: Path) -> AuditTable:
    """A project with conf/test.yaml and the table ``lake/things`` made by the three runs."""
    from lakehouse.spec.load import load_job, load_profile
    from lakehouse.run.runner import run_job

    make_project(project)
    spec_file = project / "jobs" / "things.yaml"
    spec_file.write_text(yaml.safe_dump(merge_spec(sequence_by="seq", delete_when="op = 'D'")))
    job, profile = load_job(spec_file), load_profile("test", project / "conf")
    for run_date, rows in RUNS.items():
        raw(project, run_date, *rows)
        run_job(job, profile, run_date, project_dir=project, spark=spark, run_id=f"run-{run_date}")
    return AuditTable(project=project, path=str(project / "lake" / "things"))


def snapshot(spark, version: int):
    rows = [(i, n, dt.date.fromisoformat(d), s, o) for i, n, d, s, o in SNAPSHOTS[version]]
    return spark.createDataFrame(rows, SCHEMA)
