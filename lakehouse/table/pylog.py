"""A local Delta table's log read in plain Python (no Spark), as the same :class:`~lakehouse.table.log.TableLog`.

For the JVM-free audit commands (:mod:`lakehouse.audit.deltars`).  The commit files under
``_delta_log`` are parsed line by line and handed to :func:`lakehouse.table.log.assemble`, the one
place that turns log actions into commits, lineage, restores and readability, so the answers match
:func:`lakehouse.table.log.read` on Spark.

Rules:

* Only a table in a local folder (not a URI: ``s3://``, ``dbfs:/`` ... are read through Spark).
* A commit's time: its in-commit timestamp, else the commit file's modification time in milliseconds
  (what Spark's file metadata gives).
* Readability: the files under the table folder are listed (``os.walk``) as Spark lists them: no hidden
  (``_``, ``.``) folders such as side tables, except ``_delta_log`` for the checkpoints.

Example::

    log = read_local("data/lake/orders")
    [c.version for c in log.commits]   # [0, 1, 2]
    log.readable(0)                    # True
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from lakehouse.table.log import COMMIT_FILE, TableLog, assemble
from lakehouse.table.readability import Listing


def read_local(path: str, *, readability: bool = True) -> TableLog:
    """The log of the Delta table in folder ``path`` (no ``_delta_log``: an empty log)."""
    root = Path(path).absolute()
    log = root / "_delta_log"
    if not log.is_dir():
        return TableLog(str(path))
    rows = []
    for name in sorted(os.listdir(log)):
        if not COMMIT_FILE.match(name):
            continue
        file = log / name
        modified = file.stat().st_mtime_ns // 1_000_000
        for line in file.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            action = json.loads(line)
            info = action["commitInfo"] if "commitInfo" in action else None
            rows.append({"file": name, "modified": modified, "commitInfo": None if info is None else json.dumps(info),
                         "add": _file(action, "add"), "remove": _file(action, "remove")})
    if not readability:
        return assemble(str(path), rows)
    listed = []
    for folder, folders, files in os.walk(root):  # as Spark's listing: no hidden (``_``, ``.``) folders or
        top = Path(folder) == root                 # files, except the table's own ``_delta_log``
        folders[:] = [d for d in folders if not d.startswith(("_", ".")) or (top and d == "_delta_log")]
        listed += [os.path.join(folder, f) for f in files if not f.startswith(("_", "."))]
    return assemble(str(path), rows, Listing.of(listed, str(root)), os.path.exists)


def _file(action: dict, kind: str) -> dict | None:
    """An add or remove action as the Spark reader's struct: ``path`` and ``deletionVector`` (None when absent)."""
    if kind not in action:
        return None
    found = action[kind]
    return {"path": found["path"] if "path" in found else None,
            "deletionVector": found["deletionVector"] if "deletionVector" in found else None}
