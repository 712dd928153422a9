"""Which versions of a Delta table can still be read, from one pass over its log (no Spark here).

:mod:`lakehouse.table.log` reads the log and lists the table folder; these functions decide:

* :func:`log_readable`: a version's snapshot rebuilds from the log when there is a complete
  checkpoint at it, or it is version 0, or the version before it rebuilds and its commit file is there.
* :func:`missing_spans`: each data file (with its deletion vector) is live from the version that added
  it up to the one that removed it; a file gone from storage makes every version of its span unreadable.

Example::

    >>> r = Readability([0, 1, 2], log_readable([0, 1, 2], {}),
    ...                 missing_spans([(0, "add", "a", ("a",)), (1, "remove", "a", ("a",))], lambda f: False))
    >>> [r.problem(v) is None for v in (0, 1, 2)]
    [False, True, True]
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Iterable
from urllib.parse import unquote


@dataclass(frozen=True)
class Span:
    """Versions ``start`` (None: since before the oldest commit read) up to ``end`` (excluded; None: still
    live) needed ``file``, which is gone."""

    start: int | None
    end: int | None
    file: str

    def covers(self, version: int) -> bool:
        return (self.start is None or self.start <= version) and (self.end is None or version < self.end)


def log_readable(versions: Iterable[int], checkpoints: dict[int, bool]) -> frozenset[int]:
    """The commit ``versions`` whose snapshot the log can rebuild (``checkpoints``: version → complete)."""
    have = set(versions)
    ok, previous, previous_ok = set(), None, False
    for v in sorted(have | {c for c, complete in checkpoints.items() if complete}):
        v_ok = checkpoints.get(v, False) or (v in have and (v == 0 or (previous == v - 1 and previous_ok)))
        if v_ok and v in have:
            ok.add(v)
        previous, previous_ok = v, v_ok
    return frozenset(ok)


def missing_spans(actions: Iterable[tuple[int, str, str, tuple[str, ...]]],
                  exists: Callable[[str], bool]) -> tuple[Span, ...]:
    """The spans of the files that are gone, from ``(version, "add"|"remove", key, files)`` in log order."""
    live: dict[str, tuple[int | None, tuple[str, ...]]] = {}
    spans: list[tuple[int | None, int | None, tuple[str, ...]]] = []
    for version, kind, key, files in actions:
        if kind == "remove":
            start, _ = live.pop(key, (None, files))
            spans.append((start, version, files))
        else:
            live.setdefault(key, (version, files))
    spans += [(start, None, files) for start, files in live.values()]
    gone = []
    for start, end, files in spans:
        missing = next((f for f in files if not exists(f)), None)
        if missing is not None:
            gone.append(Span(start, end, missing))
    return tuple(gone)


@dataclass(frozen=True)
class Readability:
    """Which of the commit ``versions`` (oldest first) can be read."""

    versions: list[int]
    log_ok: frozenset[int]
    gone: tuple[Span, ...]

    @cached_property
    def unreadable(self) -> frozenset[int]:
        """Every listed version that cannot be read (spans marked with one difference array)."""
        marks = [0] * (len(self.versions) + 1)
        for span in self.gone:
            lo = 0 if span.start is None else bisect_left(self.versions, span.start)
            hi = len(self.versions) if span.end is None else bisect_left(self.versions, span.end)
            if lo < hi:
                marks[lo] += 1
                marks[hi] -= 1
        out, depth = set(), 0
        for i, v in enumerate(self.versions):
            depth += marks[i]
            if depth or v not in self.log_ok:
                out.add(v)
        return frozenset(out)

    @property
    def earliest(self) -> int | None:
        """The oldest version from which every later one is readable (None: the latest is not)."""
        found = None
        for v in reversed(self.versions):
            if v in self.unreadable:
                break
            found = v
        return found

    def problem(self, version: int) -> str | None:
        """Why ``version`` cannot be read, or None."""
        if version not in self.log_ok:
            first = min(self.log_ok, default=None)
            return ("log clean-up removed the log entries needed to rebuild it"
                    + (f" (earliest readable version in the log: {first})" if first is not None else ""))
        gone = [s.file for s in self.gone if s.covers(version)]
        if gone:
            return f"its data files were removed by VACUUM ({len(gone)} missing, e.g. {gone[0]})"
        return None


# ------------------------------------------------------------------- the log's file actions

Action = tuple[int, str, str, tuple[str, ...]]
"""``(version, "add"|"remove", key, files)``: the key names a data file with its deletion vector,
``files`` are the files it needs (relative to the table folder, or absolute)."""


def file_actions(actions: Iterable[tuple[int, str, str | None, Any]]) -> list[Action]:
    """``(version, kind, path, deletionVector)`` of a log's add and remove actions, as :data:`Action`,
    in version order (a commit's removes first: a file re-added with a new deletion vector)."""
    out = []
    for version, kind, path, dv in actions:
        if path:
            path, dv_path = unquote(path), dv_file(dv)
            out.append((version, kind, f"{path}\u0000{dv_path or ''}", (path,) if dv_path is None else (path, dv_path)))
    out.sort(key=lambda a: (a[0], a[1] != "remove"))
    return out


_Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"


def dv_file(dv: Any) -> str | None:
    """The file of a deletion vector descriptor (None: none, or stored inline in the log)."""
    if dv is None or dv["storageType"] == "i":
        return None
    text = dv["pathOrInlineDv"]
    if dv["storageType"] == "p":
        return unquote(text)
    prefix, encoded = text[:-20], text[-20:]  # Delta: a random prefix, then the file's UUID in Z85
    raw = b""
    for block in range(0, 20, 5):  # Z85: each 5 characters are 4 bytes, big-endian
        number = 0
        for char in encoded[block:block + 5]:
            number = number * 85 + _Z85.index(char)
        raw += number.to_bytes(4, "big")
    h = raw.hex()
    name = f"deletion_vector_{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}.bin"
    return f"{prefix}/{name}" if prefix else name


_ABSOLUTE = re.compile(r"^(/|[A-Za-z][A-Za-z0-9+.-]*:)")
_CHECKPOINT = re.compile(r"^(\d{20})\.checkpoint(?:\.(\d{10})\.(\d{10}))?(?:\.[0-9a-f-]{36})?\.(?:parquet|json)$")


@dataclass(frozen=True)
class Listing:
    """What a listing of the table folder (and its ``_delta_log``) found."""

    root: str
    files: frozenset[str]
    """Data and deletion vector files, relative to ``root``."""
    checkpoints: dict[int, bool]
    """Checkpoint versions in ``_delta_log``, and whether all parts of each are there."""

    @classmethod
    def of(cls, paths: list[str], location: str) -> "Listing":
        """From the full paths a listing gave (URL-encoded or not) of the table at ``location``."""
        paths = [unquote(p) for p in paths]
        root = next((p.rsplit("/_delta_log/", 1)[0] for p in paths if "/_delta_log/" in p), location.rstrip("/"))
        parts: dict[int, set[tuple[int, int]]] = {}
        files = set()
        for p in paths:
            if p.startswith(root + "/_delta_log/"):
                match = _CHECKPOINT.match(p.rsplit("/", 1)[1])
                if match:
                    parts.setdefault(int(match.group(1)), set()).add((int(match.group(2) or 1), int(match.group(3) or 1)))
            else:
                files.add(p[len(root) + 1:] if p.startswith(root + "/") else p)
        complete = {v: len(found) >= max(n for _, n in found) for v, found in parts.items()}
        return cls(root, frozenset(files), complete)

    def covers(self, path: str) -> bool:
        """``path`` is relative to the table, or an absolute path inside its folder."""
        return not _ABSOLUTE.match(path) or path.startswith(self.root + "/")

    def exists(self, path: str) -> bool:
        """``path`` (see :meth:`covers`) is in the listing."""
        return (path[len(self.root) + 1:] if path.startswith(self.root + "/") else path) in self.files
