"""The bad-input suite: table-driven cases that run the real CLI in process and check the promise.

A :class:`Case` is one mistake a user makes: edits to a base job spec, raw files for the
case's own run date, extra command-line arguments, and the exact error line expected.
:func:`check` runs ``lakehouse run`` (or ``args`` as a whole command line) on the shared
session and asserts that

* the exit code is the case's code;
* stderr, captured at file-descriptor level (so the JVM's output counts too), is exactly
  the one line ``error: <message>``: no traceback, no Java stack trace;
* nothing was written: every file of the lake (the tables' data files and Delta logs) is
  still there, unchanged in size and modification time, and no file was added.  This is
  stronger than comparing versions and rows: a failed run that left an orphan data file, or
  a commit of any kind, fails the case.

Placeholders in ``message``: ``{job}`` (the job spec path), ``{raw}`` (the folder of the
case's raw files, as a ``file://`` URI, which is how Spark names them), ``{table}`` (the
table folder), ``{date}`` (the case's run date) and ``{project}``.

Base jobs (:data:`BASES`): ``csv`` merges CSV by ``id`` with ``sequence_by`` and deletes;
``json`` merges JSON lines; ``parquet`` appends Parquet files.  Each base table is loaded once
per module with one day of data, so every case starts from an existing table.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

from lakehouse.cli.main import execute
from tests.jobs import SCHEMA, make_project

FIRST_DAY = dt.date(2024, 1, 1)
CASE_DAYS_FROM = dt.date(2024, 2, 1)
ROWS = [(1, "a", "2024-01-01", 1, "I"), (2, "b", "2024-01-02", 1, "I")]

BASES = {
    "csv": {"name": "things_csv",
            "source": {"format": "csv", "path": "csv/{run_date}/*.csv", "schema": SCHEMA},
            "target": {"path": "things_csv", "partition_by": ["day"], "mode": "merge",
                       "merge": {"keys": ["id"], "sequence_by": "seq", "delete_when": "op = 'D'"}}},
    "json": {"name": "things_json",
             "source": {"format": "json", "path": "json/{run_date}/*.json", "schema": SCHEMA},
             "target": {"path": "things_json", "mode": "merge", "merge": {"keys": ["id"], "sequence_by": "seq"}}},
    "parquet": {"name": "things_parquet",
                "source": {"format": "parquet", "path": "parquet/{run_date}", "schema": SCHEMA},
                "target": {"path": "things_parquet", "partition_by": ["day"], "mode": "append"}},
}

Edit = Callable[[dict], None]
"""Changes a copy of the base spec in place."""
Files = dict[str, "str | bytes | Callable"]
"""Raw files of the case's run date by name: text, bytes, or a writer ``f(spark, path)`` (see :func:`parquet`)."""


def set_field(path: str, value) -> Edit:
    """An edit that sets the dotted ``path`` of the spec (``target.merge.keys``) to ``value``."""
    def edit(spec: dict) -> None:
        *parents, last = path.split(".")
        node = spec
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return edit


def parquet(ddl: str, rows: list[tuple]) -> Callable:
    """A writer of one Parquet file with schema ``ddl`` holding ``rows`` (for :data:`Files`)."""
    def write(spark, path: Path) -> None:
        folder = path.with_name(path.name + ".tmp")
        spark.createDataFrame(rows, ddl).coalesce(1).write.mode("overwrite").parquet(str(folder))
        next(folder.glob("part-*.parquet")).rename(path)
        shutil.rmtree(folder)
    return write


@dataclass(frozen=True)
class Case:
    id: str
    message: str
    code: int
    base: str = "csv"
    edit: Edit | None = None
    files: Files = field(default_factory=dict)
    args: tuple[str, ...] = ()
    command: tuple[str, ...] | None = None
    """A whole command line instead of ``run JOB --date DATE --profile test``."""
    setup: Callable[["World", "Case", str], None] | None = None
    """Runs before the snapshot (e.g. a successful load the case then re-runs)."""
    spec_text: str | bytes | None = None
    """The job file's text, written as it is (for YAML-level mistakes)."""


@dataclass
class World:
    """The shared project with its loaded base tables."""

    spark: object
    project: Path

    def job_path(self, case: Case) -> Path:
        return self.project / "jobs" / f"{case.id}.yaml"

    def raw_dir(self, base: str, date: str) -> Path:
        return self.project / "raw" / base / date

    def table(self, base: str) -> Path:
        return self.project / "lake" / BASES[base]["target"]["path"]

    def write_files(self, base: str, date: str, files: Files) -> None:
        folder = self.raw_dir(base, date)
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            if callable(content):
                content(self.spark, folder / name)
            elif isinstance(content, bytes):
                (folder / name).write_bytes(content)
            else:
                (folder / name).write_text(content)

    def spec(self, case: Case) -> Path:
        path = self.job_path(case)
        if isinstance(case.spec_text, bytes):
            path.write_bytes(case.spec_text)
            return path
        if case.spec_text is not None:
            path.write_text(case.spec_text)
            return path
        spec = copy.deepcopy(BASES[case.base])
        if case.edit:
            case.edit(spec)
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        return path

    def run(self, job: Path, date: str, *args: str) -> int:
        return execute(["run", str(job), "--date", date, "--profile", "test", *args])


def build_world(spark, root: Path) -> World:
    """The project and its base tables, each loaded with one day of rows."""
    world = World(spark, make_project(root))
    day = FIRST_DAY.isoformat()
    for base in BASES:
        world.write_files(base, day, _day_files(base, ROWS))
        job = world.project / "jobs" / f"base_{base}.yaml"
        job.write_text(yaml.safe_dump(BASES[base], sort_keys=False))
        assert world.run(job, day) == 0, f"base table {base} did not load"
    return world


def _day_files(base: str, rows: list[tuple]) -> Files:
    if base == "csv":
        return {"part-1.csv": "id,name,day,seq,op\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)}
    if base == "json":
        keys = ("id", "name", "day", "seq", "op")
        return {"part-1.json": "".join(json.dumps(dict(zip(keys, r))) + "\n" for r in rows)}
    return {"part-1.parquet": parquet(SCHEMA, [(i, n, dt.date.fromisoformat(d), s, o) for i, n, d, s, o in rows])}


def case_date(index: int) -> str:
    """Each case reads its own run date, so cases never see each other's files."""
    return (CASE_DAYS_FROM + dt.timedelta(days=index)).isoformat()


def check(world: World, case: Case, index: int, capfd) -> None:
    """Run ``case`` and assert the promise (see the module docstring)."""
    date = case_date(index)
    job = world.spec(case)
    world.write_files(case.base, date, case.files)
    if case.setup:
        case.setup(world, case, date)
    capfd.readouterr()
    table = world.table(case.base)
    lake_before = _files(world.project / "lake")
    command = [a.format(job=job, date=date, project=world.project) for a in case.command] if case.command \
        else ["run", str(job), "--date", date, "--profile", "test", *case.args]
    code = execute(command)
    out, err = capfd.readouterr()
    message = case.message.format(job=job, raw=f"file://{world.raw_dir(case.base, date)}", date=date,
                                  table=table, project=world.project)
    assert err.splitlines() == [f"error: {message}"], f"stderr of {case.id}:\n{err}"
    assert code == case.code, f"{case.id}: exit code {code}, expected {case.code}"
    assert _files(world.project / "lake") == lake_before, f"{case.id} wrote to the lake"


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below ``folder`` with its size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def load_ok(world: World, case: Case, date: str, files: Files | None = None) -> None:
    """Setup step: load ``date`` successfully (with the case's files, or ``files``)."""
    if files is not None:
        world.write_files(case.base, date, files)
    assert world.run(world.job_path(case), date) == 0
