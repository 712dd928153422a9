"""Generated CDC streams and a throw-away project to run them in (shared by the property tests).

Hypothesis profiles: ``ci`` (default: derandomized, few examples, fits the CI budget)
and ``release`` (many random examples): ``LAKEHOUSE_HYPOTHESIS_PROFILE=release pytest tests/write``.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from lakehouse.spec.load import load_job, load_profile
from tests.jobs import make_project

settings.register_profile("ci", derandomize=True, max_examples=6, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("release", max_examples=200, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("LAKEHOUSE_HYPOTHESIS_PROFILE", "ci"))

SCHEMA = "id BIGINT, name STRING, day DATE, seq INT, tb INT, op STRING"
COLUMNS = ["id", "name", "day", "seq", "tb", "op"]
DAYS = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(8)]
"""Run dates; the partition values (``day``) are the first three of them."""

rows = st.fixed_dictionaries({
    "id": st.integers(0, 5).map(lambda i: i or None),  # None: a null key
    "name": st.sampled_from(["a", "b"]),
    "day": st.sampled_from(DAYS[:3]),                    # a key may move between partitions
    "seq": st.integers(1, 6),                            # small: late rows, ties and re-sends are common
    "tb": st.sampled_from([None, 0, 1]),
    "op": st.sampled_from(["I", "U", "U", "D"]),
})
increments = st.lists(rows, max_size=6)
"""One day's increment (possibly empty)."""


@st.composite
def streams(draw, days: tuple[int, int] = (2, 4)) -> list[tuple[str, int]]:
    """Events: ("load", i) loads day i; ("rerun", j) runs day j again; ("force", j) with --force."""
    n = draw(st.integers(*days))
    events: list[tuple[str, int]] = []
    for i in range(n):
        events.append(("load", i))
        if i and draw(st.integers(0, 3)) == 0:
            events.append((draw(st.sampled_from(["rerun", "force"])), draw(st.integers(0, i))))
    return events


@dataclass
class Project:
    """A project folder with a job spec and raw CSV files per run date."""

    root: Path

    @classmethod
    def create(cls, base: Path, target: dict) -> "Project":
        root = make_project(Path(tempfile.mkdtemp(dir=base)))
        spec = {"name": "stream", "source": {"format": "csv", "path": "stream/{run_date}/*.csv", "schema": SCHEMA,
                                             "allow_empty": True},  # the model loads an empty day as a no-op
                "target": {"path": "stream", **target}}
        (root / "jobs" / "stream.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
        return cls(root)

    @property
    def table(self) -> str:
        return str(self.root / "lake" / "stream")

    def write_day(self, day: int, increment: list[dict]) -> None:
        folder = self.root / "raw" / "stream" / DAYS[day].isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        lines = [",".join("" if r[c] is None else str(r[c]) for c in COLUMNS) for r in increment]
        text, file = "\n".join([",".join(COLUMNS), *lines]) + "\n", folder / "part.csv"
        if not file.exists() or file.read_text() != text:  # a re-delivery of the same file keeps its stamps
            file.write_text(text)

    def run(self, spark, day: int, **kwargs):
        from lakehouse.run.runner import run_job

        return run_job(load_job(self.root / "jobs" / "stream.yaml"), load_profile("test", self.root / "conf"),
                       DAYS[day], project_dir=self.root, spark=spark, **kwargs)


def expected_frame(spark, table_rows: list[dict]):
    """A DataFrame of model rows with the table's schema."""
    return spark.createDataFrame([tuple(r[c] for c in COLUMNS) for r in table_rows], SCHEMA)
