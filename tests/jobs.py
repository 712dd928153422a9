"""Small job specs and raw files shared by the tests (plain data, no fixtures)."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SHOP = REPO / "examples" / "shop"
"""The demo project (jobs, conf, sql, raw data) that `make demo` runs."""

SCHEMA = "id BIGINT, name STRING, day DATE, seq INT, op STRING"
HEADER = "id,name,day,seq,op"


def merge_spec(**merge) -> dict:
    """A CSV → merge job keyed by `id`, partitioned by `day`."""
    return {
        "name": "things",
        "source": {"format": "csv", "path": "things/{run_date}/*.csv", "schema": SCHEMA},
        "target": {"path": "things", "partition_by": ["day"], "mode": "merge",
                   "merge": {"keys": ["id"], **merge}},
    }


def write_spec(mode: str, **target) -> dict:
    """The same source written with `mode` (append, overwrite, replace_partitions)."""
    spec = merge_spec()
    spec["target"] = {"path": "things", "partition_by": ["day"], "mode": mode, **target}
    return spec


def raw(project: Path, run_date: str, *rows: str, name: str = "part-1.csv") -> Path:
    """Write one CSV file of `rows` (without header) for `run_date`."""
    path = project / "raw" / "things" / run_date / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def table_path(project: Path) -> str:
    return str(project / "lake" / "things")


def read_table(spark, project: Path):
    return spark.read.format("delta").load(table_path(project))


def expected(spark, *rows: tuple):
    """A DataFrame of (id, name, day, seq, op) rows with the table's schema; days as ISO strings."""
    import datetime as dt

    data = [(i, n, dt.date.fromisoformat(d), s, o) for i, n, d, s, o in rows]
    return spark.createDataFrame(data, SCHEMA)


def make_project(root: Path) -> Path:
    """A project folder: lakehouse.yaml (default profile `test`), conf/test.yaml (the demo's local
    profile with roots raw/ and lake/ of the project), jobs/, sql/, raw/, lake/."""
    for folder in ("conf", "jobs", "sql", "raw", "lake"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "lakehouse.yaml").write_text(yaml.safe_dump({"name": "test", "defaults": {"profile": "test"}}))
    local = yaml.safe_load((SHOP / "conf" / "local.yaml").read_text())
    local["roots"] = {"raw": "raw", "lake": "lake"}  # relative to the project folder
    local.pop("warehouse", None)
    (root / "conf" / "test.yaml").write_text(yaml.safe_dump(local))
    return root
