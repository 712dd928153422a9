"""``lakehouse show --version`` on delta-rs (no JVM) against a plain delta-rs read of the same version.

    .venv/bin/python -m benchmarks.audit_show [--rows 2000000] [--runs 5] [--work-dir /tmp/lakehouse-bench-show]

The table (built once with delta-rs, then reused): ``--rows`` orders (``order_id``, ``customer``, ``order_date``
over 365 days, ``amount`` DECIMAL(10,2), ``status``) in one commit, then a second commit of 1,000 rows.
In one process, after one warm-up round, ``--runs`` rounds time in turn:

* ``show``: what ``lakehouse show PATH --version 0`` does after parsing its arguments: the engine choice
  (:func:`lakehouse.audit.engine.choose`) and :func:`lakehouse.audit.deltars.show_text` (20 rows, aligned);
* ``read``: ``DeltaTable(path, version=0).to_pyarrow_table()``.

It prints min and median seconds of each and their ratio against the target (show < 2x read); exit 1 if missed.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from benchmarks.history import timed

TARGET = 2.0


def build(path: Path, rows: int) -> None:
    """The orders table at ``path`` (skipped when it has ``rows`` rows at version 0 already)."""
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.compute as pc
    from deltalake import DeltaTable, write_deltalake

    if (path / "_delta_log").is_dir() and DeltaTable(str(path), version=0).to_pyarrow_dataset().count_rows() == rows:
        return

    def orders(start: int, n: int) -> pa.Table:
        ids = pa.array(range(start, start + n), pa.int64())
        days = pc.cast(pc.add(pc.divide(pc.multiply(ids, 365), max(rows, 1)), 19723), pa.int32())  # from 2024-01-01
        return pa.table({
            "order_id": pc.subtract(pa.scalar(start + n, pa.int64()), ids),  # not in file order
            "customer": pc.binary_join_element_wise("c", pc.cast(pc.bit_wise_and(ids, 4095), pa.string()), ""),
            "order_date": pc.cast(days, pa.date32()),
            "amount": pa.array([Decimal(i % 100_000) / 100 for i in range(start, start + n)], pa.decimal128(10, 2)),
            "status": pc.if_else(pc.equal(pc.bit_wise_and(ids, 7), 0), "returned", "shipped")})

    write_deltalake(str(path), orders(0, rows), mode="overwrite")
    write_deltalake(str(path), orders(rows, 1000), mode="append")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5, help="timed rounds after one warm-up")
    parser.add_argument("--work-dir", default="/tmp/lakehouse-bench-show")
    args = parser.parse_args(argv)

    from deltalake import DeltaTable

    from lakehouse.audit import deltars
    from lakehouse.audit.engine import choose
    from lakehouse.table.ref import TableRef

    path = Path(args.work_dir) / f"orders-{args.rows}"
    build(path, args.rows)
    contenders = {
        "show": lambda: (choose("auto", TableRef(path=str(path)), rows=True).name == "delta-rs"
                         and deltars.show_text(str(path), "table", 20, "UTC", version=0)),
        "read": lambda: DeltaTable(str(path), version=0).to_pyarrow_table(),
    }
    description, text = contenders["show"]()
    assert text.splitlines()[2].split()[0] == "1", "show prints the smallest order_id first"
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for fn in contenders.values():  # warm-up
        timed(fn)
    names = list(contenders)
    for round_ in range(args.runs):
        for name in names[round_ % 2:] + names[:round_ % 2]:
            times[name].append(timed(contenders[name]))
    print(f"{description}: {args.rows:,} rows")
    for name, t in times.items():
        print(f"  {name:5} min {min(t):.3f} s  median {statistics.median(t):.3f} s")
    ratio = statistics.median(times["show"]) / statistics.median(times["read"])
    print(f"  show / read (medians): {ratio:.2f}x (target < {TARGET:g}x)")
    return 0 if ratio < TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
