"""Generated CDC streams, and a throw-away project to run them in (shared by the property tests).

A :class:`Stream` is what a source delivers over 3-5 run days (2024-01-01 onwards) plus
the order in which the job is run: every day is loaded once, and some days are run
again afterwards, plainly (skipped) or with ``force``.  Rows are
``id, name, day, seq, tb, op``; keys 1..6 and two or three partition dates keep
collisions common.  :func:`streams` mixes, per row: new changes, inserts, updates and
deletes, sequence-only re-sends, re-inserts after deletes, exact duplicates, ties,
late rows (older than stored rows or tombstones), partition moves, null keys, and
rarely a null sequence; a day may be empty.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from hypothesis import strategies as st

from lakehouse.loader import load_job, load_profile

SCHEMA = "id BIGINT, name STRING, day DATE, seq INT, tb INT, op STRING"
COLUMNS = ["id", "name", "day", "seq", "tb", "op"]
RUN_DATES = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(5)]
PARTITIONS = RUN_DATES[:3]
"""Values of the partition column ``day``."""
REPO = Path(__file__).resolve().parents[2]

KINDS = ["change", "change", "change", "resend", "late", "duplicate", "tie", "move", "reinsert", "null_key",
         "change", "resend", "late", "null_seq"]
"""Row kinds, weighted by repetition; shrinking goes towards the first ("change")."""


@dataclass(frozen=True)
class Stream:
    """``increments[i]``: the rows delivered for ``RUN_DATES[i]``, split into two files at
    ``splits[i]``; ``runs``: (kind, i) in order, kind ``load``, ``rerun`` or ``force``."""

    increments: tuple[tuple[dict, ...], ...]
    splits: tuple[int, ...]
    runs: tuple[tuple[str, int], ...]
    tombstone_days: int | None

    def __repr__(self) -> str:  # readable in hypothesis' falsifying example
        lines = [f"Stream(tombstone_days={self.tombstone_days}, runs={list(self.runs)}, increments="]
        for i, rows in enumerate(self.increments):
            csv = " | ".join(csv_line(r) for r in rows) or "(empty)"
            lines.append(f"  {RUN_DATES[i]} split {self.splits[i]}: {csv}")
        return "\n".join(lines) + ")"


def csv_line(row: dict) -> str:
    return ",".join("" if row[c] is None else str(row[c]) for c in COLUMNS)


@st.composite
def streams(draw, days: tuple[int, int] = (3, 5), max_rows: int = 6) -> Stream:
    """A :class:`Stream`; ``seq`` follows a clock that mostly grows from day to day."""
    clock = [0]

    def tick() -> int:
        clock[0] += 1
        return clock[0]

    seen: list[dict] = []  # every row delivered so far, for re-sends, duplicates, ties and late rows
    partitions = PARTITIONS[:draw(st.integers(2, 3))]
    increments, splits = [], []
    for _ in range(draw(st.integers(*days))):
        rows: list[dict] = []
        for _ in range(draw(st.integers(0, max_rows))):
            rows.append(draw(_row(draw(st.sampled_from(KINDS)), seen + rows, tick, clock[0], partitions)))
        seen += rows
        increments.append(tuple(rows))
        splits.append(draw(st.integers(0, len(rows))))
    runs = []
    for i in range(len(increments)):
        runs.append(("load", i))
        if i and draw(st.integers(0, 2)) == 0:
            runs.append((draw(st.sampled_from(["force", "rerun"])), draw(st.integers(0, i))))
    return Stream(tuple(increments), tuple(splits), tuple(runs), draw(st.sampled_from([None, 1, 2])))


names = st.sampled_from(["a", "b", "c"])
tie_breakers = st.sampled_from([None, 0, 1])
ops = st.sampled_from(["U", "I", "U", "D"])


@st.composite
def _row(draw, kind: str, seen: list[dict], tick, now: int, partitions: list[dt.date]) -> dict:
    """One row of ``kind``; kinds that need an earlier row fall back to a new change."""
    if kind in ("resend", "duplicate", "tie", "move", "late") and seen:
        earlier = dict(draw(st.sampled_from(seen)))
        if kind == "resend":  # the same values again, newer: only the sequence moves
            return {**earlier, "seq": tick()}
        if kind == "duplicate":
            return earlier
        if kind == "tie":  # the same order, other values (or a delete)
            change = draw(st.sampled_from([{"name": draw(names)}, {"op": "D"}, {"op": "I"}]))
            return {**earlier, **change}
        if kind == "move":  # newer, in another partition
            return {**earlier, "day": draw(st.sampled_from(partitions)), "seq": tick(), "op": "U"}
        return {**earlier, "name": draw(names), "op": draw(ops),  # late: older than what came since
                "seq": draw(st.integers(1, max(1, now - 1))), "tb": draw(tie_breakers)}
    deleted = sorted({r["id"] for r in seen if r["op"] == "D" and r["id"] is not None})
    row = {"id": draw(st.integers(1, 6)), "name": draw(names), "day": draw(st.sampled_from(partitions)),
           "seq": tick(), "tb": draw(tie_breakers), "op": draw(ops)}
    if kind == "reinsert" and deleted:
        return {**row, "id": draw(st.sampled_from(deleted)), "op": "I"}
    if kind == "null_key":
        return {**row, "id": None}
    if kind == "null_seq":
        return {**row, "seq": None}
    return row


@dataclass
class Project:
    """A project folder like the ``project`` fixture's (conf/test.yaml with roots raw and lake,
    jobs/, sql/, raw/, lake/) holding one job ``stream`` that writes ``lake/stream``."""

    root: Path

    @classmethod
    def create(cls, base: Path, target: dict) -> "Project":
        root = Path(tempfile.mkdtemp(prefix="stream-", dir=base))
        for folder in ("conf", "jobs", "sql", "raw", "lake"):
            (root / folder).mkdir()
        local = yaml.safe_load((REPO / "conf" / "local.yaml").read_text())
        local["roots"] = {"raw": "raw", "lake": "lake"}
        local.pop("warehouse", None)
        (root / "conf" / "test.yaml").write_text(yaml.safe_dump(local))
        spec = {"name": "stream", "source": {"format": "csv", "path": "stream/{run_date}/*.csv", "schema": SCHEMA},
                "target": {"path": "stream", **target}}
        (root / "jobs" / "stream.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
        return cls(root)

    @property
    def profile(self):
        return load_profile("test", self.root / "conf")

    @property
    def table(self) -> str:
        return str(self.root / "lake" / "stream")

    def write_day(self, i: int, rows: tuple[dict, ...], split: int | None = None) -> None:
        """The raw files of run date ``i``: rows[:split] and rows[split:] (header-only when empty)."""
        folder = self.root / "raw" / "stream" / RUN_DATES[i].isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        split = len(rows) if split is None else split
        for n, part in enumerate((rows[:split], rows[split:])):
            if part or n == 0:
                (folder / f"part-{n}.csv").write_text("\n".join([",".join(COLUMNS), *map(csv_line, part)]) + "\n")

    def run(self, spark, i: int, **kwargs):
        """Run the job for run date ``i`` (kwargs: ``dry_run``, ``force``)."""
        from lakehouse.runner import run_job

        return run_job(load_job(self.root / "jobs" / "stream.yaml"), self.profile, RUN_DATES[i],
                       project_dir=self.root, spark=spark, **kwargs)


def version(spark, path: str) -> int | None:
    """The table's latest version, None before it exists."""
    from delta.tables import DeltaTable

    if not DeltaTable.isDeltaTable(spark, path):
        return None
    return DeltaTable.forPath(spark, path).history(1).first()["version"]


def frame(spark, rows: list[dict]):
    """A DataFrame of model rows with the table's schema (``day`` as dates)."""
    return spark.createDataFrame([tuple(r[c] for c in COLUMNS) for r in rows], SCHEMA)
