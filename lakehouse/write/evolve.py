"""How a run's columns may differ from its table's: the rules of ``target.on_schema_change``
(stated on the target base class, :class:`lakehouse.spec.target._Target`), as one pure comparison of
two schemas.

:func:`compare` takes the table's and the run's ``StructType`` and returns a :class:`SchemaPlan`:
the columns the commit adds, the types it widens, the run's columns it drops, and what is refused.
:func:`check` raises the first refusal as one line.  No Spark session is needed: the write
(:mod:`.commit`) and the dry run apply the same plan.

Example::

    plan = compare(table_schema, run_schema, policy="add_columns", fixed=["id"], type_widening=True)
    check(plan, "lake/orders")        # SpecError/DataError naming the column, or nothing
    plan.changes                      # (Change("channel", "added", type="STRING"), ...)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from pyspark.sql.types import (ArrayType, ByteType, DataType, DecimalType, DoubleType, FloatType, IntegerType,
                               LongType, MapType, NullType, ShortType, StructField, StructType)

from lakehouse.errors import DataError, SpecError

POLICIES = ("fail", "add_columns", "ignore_new")
ADDED, WIDENED, IGNORED = "added", "widened", "ignored"
TYPE_WIDENING = "delta.enableTypeWidening"
"""The table property Delta needs before a write may widen a column's type."""

_INTEGERS = (ByteType, ShortType, IntegerType, LongType)


@dataclass(frozen=True)
class Change:
    """One schema change of a run: a column ``added`` (with its ``type``), ``widened`` (``from`` → ``to``)
    or ``ignored`` (a new column of the run, dropped before the write, with its ``type``)."""

    column: str
    change: str
    type: str | None = None
    from_type: str | None = None
    to_type: str | None = None

    def to_dict(self) -> dict[str, str]:
        """As the commit lineage records it: ``{"column", "change", "type"}`` or ``{..., "from", "to"}``."""
        if self.change == WIDENED:
            return {"column": self.column, "change": self.change, "from": self.from_type, "to": self.to_type}
        return {"column": self.column, "change": self.change, "type": self.type}

    def describe(self) -> str:
        if self.change == WIDENED:
            return f"{self.column} {self.from_type} to {self.to_type}"
        return f"{self.column} {self.type}" if self.change == ADDED else self.column


@dataclass(frozen=True)
class Refusal:
    """A difference the policy does not allow: the field to fix, the one-line message, and whether it is
    the input's fault (a data error) rather than the spec's."""

    field: str | None
    message: str
    data: bool = False


@dataclass(frozen=True)
class SchemaPlan:
    """What a write does to the table's schema (empty: nothing)."""

    changes: tuple[Change, ...] = ()
    refused: tuple[Refusal, ...] = ()

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.change == kind]

    @property
    def ignored(self) -> list[str]:
        """The run's columns dropped before the write."""
        return [c.column for c in self.of(IGNORED)]

    @property
    def evolves(self) -> bool:
        """The commit changes the table's schema (adds or widens a column)."""
        return bool(self.of(ADDED) or self.of(WIDENED))

    def records(self) -> list[dict[str, str]]:
        """The changes as the commit lineage records them."""
        return [c.to_dict() for c in self.changes]


def compare(table: StructType, run: StructType, *, policy: str, fixed: Iterable[str] = (),
            type_widening: bool = False, widening_missing: str | None = None, name: str = "the table") -> SchemaPlan:
    """Compare the ``run``'s columns with the ``table``'s under ``policy`` (``fail``, ``add_columns``,
    ``ignore_new``).  ``fixed`` are the columns that can never be new nor change type (partition columns,
    merge keys and ordering columns); ``type_widening`` is the table's ``delta.enableTypeWidening``;
    ``widening_missing`` says why the session's Delta cannot widen (then every widening is refused);
    ``name`` names the table in messages.  Nullability is never a difference."""
    if policy not in POLICIES:
        raise ValueError(f"unknown on_schema_change policy {policy!r}")
    table_types = {f.name: f.dataType for f in table.fields}
    run_types = {f.name: f.dataType for f in run.fields}
    lower = {c.lower(): c for c in table_types}
    fixed = set(fixed)
    refused: list[Refusal] = []
    missing = [c for c in table_types if c not in run_types]
    new = [c for c in run_types if c not in table_types]
    for c in new if policy != "fail" else []:
        if c.lower() in lower:
            refused.append(Refusal("source.schema", f"column {c} of the run differs only in case from column "
                                                    f"{lower[c.lower()]} of table {name}; rename it"))
    new = [c for c in new if policy == "fail" or c.lower() not in lower]
    if policy == "fail" and (missing or new):
        refused.append(Refusal(None, f"the run's columns do not match table {name}: missing {missing or 'none'}, "
                                     f"not in the table {new or 'none'}; nothing was written", data=True))
    elif missing:
        refused.append(Refusal(None, f"the run lacks column{'s' if len(missing) > 1 else ''} "
                                     f"{', '.join(missing)} of table {name} (target.on_schema_change never drops "
                                     "a column); nothing was written", data=True))
    changes = [Change(c, ADDED if policy == "add_columns" else IGNORED, type=_text(run_types[c])) for c in new
               if policy != "fail"]
    for c in new:
        if policy == "add_columns" and c in fixed:
            refused.append(Refusal("target", f"column {c} is a key, ordering or partition column but not in table "
                                             f"{name}; it cannot be added by a run"))
        elif policy == "add_columns" and isinstance(run_types[c], NullType):
            refused.append(Refusal("transform", f"new column {c} has no type (NULL); cast it before it is added "
                                                f"to table {name}"))
    for c, kind in run_types.items():
        stored = table_types.get(c)
        if stored is None or same_type(kind, stored):
            continue
        change = _type_change(c, stored, kind, policy=policy, fixed=c in fixed, type_widening=type_widening,
                              widening_missing=widening_missing, name=name)
        if isinstance(change, Change):
            changes.append(change)
        else:
            refused.append(change)
    return SchemaPlan(changes=tuple(changes), refused=tuple(refused))


def _type_change(column: str, stored: DataType, kind: DataType, *, policy: str, fixed: bool,
                 type_widening: bool, widening_missing: str | None, name: str) -> Change | Refusal:
    """A column whose type differs: widened (``add_columns``, a widening Delta applies by itself) or refused."""
    both = f"{_text(kind)} in the run but {_text(stored)} in table {name}"
    if policy != "add_columns":
        return Refusal("source.schema", f"column {column} is {both}; declare or cast it to the table's type")
    if not widens(stored, kind):
        return Refusal("source.schema", f"column {column} is {both}: not a widening target.on_schema_change: "
                                        "add_columns applies; declare or cast it to the table's type")
    if fixed:
        return Refusal("source.schema", f"column {column} is {both}: a key, ordering or partition column "
                                        "cannot change type; cast it to the table's type")
    if widening_missing:
        return Refusal("source.schema", f"column {column} is {both}: {widening_missing}; declare or cast it to "
                                        "the table's type")
    if not type_widening:
        return Refusal("target.properties", f"column {column} is {both}: widening it needs the table property "
                                            f"{TYPE_WIDENING} = 'true' (ALTER TABLE ... SET TBLPROPERTIES, or "
                                            "target.properties before the table is created)")
    return Change(column, WIDENED, from_type=_text(stored), to_type=_text(kind))


def widens(old: DataType, new: DataType) -> bool:
    """``new`` is a wider type that Delta 4.0 applies by schema evolution: a larger integer type
    (BYTE < SHORT < INT < BIGINT), FLOAT to DOUBLE, or DECIMAL(p, s) to DECIMAL(p + k1, s + k2) with
    k1 >= k2 >= 0.  Integer to DECIMAL or DOUBLE is not (Delta needs a manual ALTER for it)."""
    if isinstance(old, _INTEGERS) and isinstance(new, _INTEGERS):
        return _rank(new) > _rank(old)
    if isinstance(old, FloatType):
        return isinstance(new, DoubleType)
    if isinstance(old, DecimalType) and isinstance(new, DecimalType):
        more_digits, more_scale = new.precision - old.precision, new.scale - old.scale
        return more_digits >= more_scale >= 0 and more_digits > 0
    return False


def same_type(a: DataType, b: DataType) -> bool:
    """Equal types, ignoring nullability at every level (and field metadata)."""
    return _plain(a) == _plain(b)


def check(plan: SchemaPlan) -> SchemaPlan:
    """Raise the plan's first refusal (a DataError or a SpecError naming its field); else the plan."""
    if plan.refused:
        first = plan.refused[0]
        if first.data:
            raise DataError(first.message)
        raise SpecError(first.message, field=first.field)
    return plan


def _plain(t: DataType) -> DataType:
    if isinstance(t, StructType):
        return StructType([StructField(f.name, _plain(f.dataType)) for f in t.fields])
    if isinstance(t, ArrayType):
        return ArrayType(_plain(t.elementType))
    if isinstance(t, MapType):
        return MapType(_plain(t.keyType), _plain(t.valueType))
    return t


def _rank(t: DataType) -> int:
    return next(i for i, kind in enumerate(_INTEGERS) if isinstance(t, kind))


def _text(t: DataType) -> str:
    return t.simpleString().upper()
