"""The transform stage: ``DataFrame -> DataFrame`` functions applied with ``df.transform``.

Steps always run in the order of :class:`lakehouse.spec.Transform`:
``sql`` → ``rename`` → ``cast`` → ``derive`` → ``filter``.  A step that Spark
cannot parse or resolve raises a SpecError naming the spec field.
"""

from __future__ import annotations


from pathlib import Path
from typing import Callable

from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse._sql import quote_ident
from lakehouse.errors import SpecError, spark_message
from lakehouse.spec import Transform

Step = Callable[[DataFrame], DataFrame]


def apply_transforms(df: DataFrame, spec: Transform, sql_dir: Path) -> DataFrame:
    """Apply every step ``spec`` declares to ``df``."""
    for field, step in _steps(spec, sql_dir):
        df = checked(field, df, step)
    return df


def _steps(spec: Transform, sql_dir: Path) -> list[tuple[str, Step]]:
    steps: list[tuple[str, Step]] = []
    sql_path = spec.sql_path(sql_dir)
    if sql_path:
        steps.append(("transform.sql", sql_file(sql_path, spec.view)))
    steps += [(f"transform.rename.{old}", rename(old, new)) for old, new in spec.rename.items()]
    steps += [(f"transform.cast.{col}", cast(col, type_)) for col, type_ in spec.cast.items()]
    steps += [(f"transform.derive.{col}", derive(col, expr)) for col, expr in spec.derive.items()]
    steps += [(f"transform.filter[{i}]", keep_where(cond)) for i, cond in enumerate(spec.filter)]
    return steps


def sql_file(path: Path, view: str) -> Step:
    """Run the SELECT in ``path`` with the input registered as temporary view ``view``."""
    query = path.read_text(encoding="utf-8").strip().rstrip(";")

    def step(df: DataFrame) -> DataFrame:
        df.createOrReplaceTempView(view)
        try:
            out = df.sparkSession.sql(query)
            out.schema  # noqa: B018 - analysed now, so the view can go
            return out
        finally:
            df.sparkSession.catalog.dropTempView(view)  # leave no view behind in the user's session

    return step


def rename(old: str, new: str) -> Step:
    def step(df: DataFrame) -> DataFrame:
        if old not in df.columns:
            raise SpecError(f"no column {old!r} to rename (columns: {', '.join(df.columns)})",
                            field=f"transform.rename.{old}")
        return df.withColumnRenamed(old, new)

    return step


def cast(column: str, type_: str) -> Step:
    return lambda df: df.withColumn(column, F.col(quote_ident(column)).cast(type_))


def derive(column: str, expression: str) -> Step:
    return lambda df: df.withColumn(column, F.expr(expression))


def keep_where(condition: str) -> Step:
    return lambda df: df.filter(F.expr(condition))


def checked(field: str, df: DataFrame, step: Step) -> DataFrame:
    """``df.transform(step)``, analysed now; a Spark parse or analysis error names ``field``."""
    try:
        out = df.transform(step)
        out.schema  # noqa: B018 - forces analysis, so errors surface here, naming the field
        return out
    except (ParseException, AnalysisException) as exc:
        raise SpecError(spark_message(exc), field=field) from None


