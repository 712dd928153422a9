"""The audit subcommands of ``lakehouse``: history, show, diff, restore, vacuum.

:func:`add_audit_commands` registers them; each handler loads the profile (for the
session, the audit window and the time zone of relative run dates), calls
:mod:`lakehouse.audit.read` and prints the result with :mod:`lakehouse.cli.render`.
``show`` and ``diff`` print one line on stderr naming the versions they read.  A
``--run-date`` (``YYYY-MM-DD``, ``today``, ``yesterday``, ``today-N``) is checked before Spark
starts.  Spark is imported only when a command runs.  ``history``, ``show`` and ``diff`` take ``--engine``:
on a local path table ``auto`` (the default) answers with delta-rs, without Spark, when the ``audit``
extra is installed; the rules and what needs Spark are in :mod:`lakehouse.audit.engine`.
"""

from __future__ import annotations

import argparse
import os
import sys

from lakehouse.audit.engine import ENGINES
from lakehouse.cli.support import positive_int, spark_for
from lakehouse.errors import LakehouseError, UsageError
from lakehouse.spec.dates import resolve_run_date
from lakehouse.spec.load import CONF_DIR_ENV, load_profile, load_project
from lakehouse.spec.profile import Profile, is_uri
from lakehouse.spec.project import ProjectNotFound

def add_audit_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``history``, ``show``, ``diff``, ``restore`` and ``vacuum`` to the ``lakehouse`` parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("table", metavar="TABLE", help="table path or metastore name (schema.table)")
    common.add_argument("--profile", help="profile name in conf/ or a YAML path (default: $LAKEHOUSE_PROFILE, else "
                                          "the project's defaults.profile)")
    common.add_argument("--conf-dir", help="folder of profiles (default: $LAKEHOUSE_CONF_DIR, else conf/ of the "
                                           "project of the table's path or of the current folder)")
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--format", choices=("table", "json", "csv"), default="table",
                        help="aligned columns (default), JSON lines or CSV")
    key = argparse.ArgumentParser(add_help=False)
    key.add_argument("--key", action="append", default=[], metavar="COL=VALUE",
                     help="only this key (repeat for a key of several columns)")

    engine = argparse.ArgumentParser(add_help=False)
    engine.add_argument("--engine", choices=ENGINES, default="auto",
                        help="read with Spark, or with delta-rs without a JVM (a table by local path); auto "
                             "(default): delta-rs when it is installed and can answer, else Spark")

    p = sub.add_parser("history", parents=[common, output, key, engine],
                       help="the table's versions with run lineage; with --key, one record's history")
    p.add_argument("--limit", type=positive_int, metavar="N", help="only the N newest versions")
    p.set_defaults(handler=_history)

    p = sub.add_parser("show", parents=[common, output, engine],
                       help="rows of the table as of a version, a commit time or a run date (default: the latest)")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--version", type=int, metavar="N")
    when.add_argument("--as-of", metavar="TIMESTAMP", help="the last version committed at or before it; ISO 8601, "
                                                           "without an offset read in the Spark session time zone")
    when.add_argument("--run-date", metavar="DATE", help="the version the load of this run date made")
    p.add_argument("--where", metavar="EXPR", help="Spark SQL condition on the rows")
    p.add_argument("--limit", type=positive_int, default=20, metavar="N", help="at most N rows (default 20)")
    p.set_defaults(handler=_show)

    p = sub.add_parser("diff", parents=[common, output, key, engine],
                       help="changed rows between two versions, or what one version or one run date's load changed")
    p.add_argument("--from", dest="start", type=int, metavar="N", help="default: the version before --to")
    p.add_argument("--to", dest="end", type=int, metavar="M", help="default: the latest version")
    p.add_argument("--run-date", metavar="DATE", help="what the load of this run date changed (not with --from/--to)")
    p.add_argument("--keys", metavar="COL,...", help="key columns (default: the --key columns or the "
                                                    "keys recorded by the table's merge job)")
    p.add_argument("--method", choices=("auto", "cdf", "snapshot"), default="auto",
                   help="change data feed, snapshot comparison, or the feed when it covers the range")
    p.set_defaults(handler=_diff)

    p = sub.add_parser("restore", parents=[common], help="restore the table to an old version (Delta RESTORE)")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--version", type=int, metavar="N")
    when.add_argument("--as-of", metavar="TIMESTAMP")
    when.add_argument("--run-date", metavar="DATE", help="undo the load of this run date: restore the version before it")
    p.add_argument("--yes", action="store_true", help="confirm: the current data is replaced")
    p.add_argument("--reason", default="", help="recorded in the commit's lineage (default with --run-date: "
                                                "'undo the load of run date DATE (version N)')")
    p.set_defaults(handler=_restore)

    p = sub.add_parser("vacuum", parents=[common], help="delete files older versions no longer need")
    p.add_argument("--retain-hours", type=float, metavar="H",
                   help="keep files needed by the last H hours (default: the audit window)")
    p.add_argument("--force", action="store_true", help="allow a retention shorter than the audit window")
    p.set_defaults(handler=_vacuum)


# --------------------------------------------------------------------------- handlers

def _history(args: argparse.Namespace) -> int:
    ref, profile, _ = _target(args)
    if _engine(args, ref, rows=bool(args.key)).name == "delta-rs":
        from lakehouse.audit import deltars, rs_changes

        text = (rs_changes.key_history_text(ref.path, args.format, _zone(profile), args.key) if args.key else
                deltars.history_text(ref.path, args.format, args.limit, _zone(profile)))
        if text:
            print(text)
        return 0
    from lakehouse.audit import read as audit
    from lakehouse.cli import audit_text

    spark = spark_for(profile, args)
    if args.key:
        df = audit.record_history(spark, ref, _key_values(spark, ref, args.key))
        if args.format == "table":
            row_keys = df.columns[1:df.columns.index("timestamp")]  # a history table's valid_from
            df = df.select("version", *row_keys, audit_text.iso("timestamp"), "operation", "change",
                           audit_text.change_text(df).alias("values"), "job", "run_date", "run_id")
        _print(df, args.format)
    elif args.format == "table":
        print(audit_text.history_table(audit.history(spark, ref, args.limit)))
    else:
        _print(audit.history(spark, ref, args.limit), args.format)
    return 0


def _show(args: argparse.Namespace) -> int:
    ref, profile, run_date = _target(args)
    engine = _engine(args, ref, rows=True, where=args.where)
    if engine.name == "delta-rs":
        from lakehouse.audit import deltars

        description, text = deltars.show_text(ref.path, args.format, args.limit, _zone(profile), version=args.version,
                                              timestamp=args.as_of, run_date=run_date, where=engine.where)
        print(description, file=sys.stderr)
        if text:
            print(text)
        return 0
    from pyspark.errors import AnalysisException, ParseException

    from lakehouse.audit import read as audit
    from lakehouse.cli.render import render
    from lakehouse.errors import spark_message

    spark = spark_for(profile, args)
    snapshot = audit.at(spark, ref, version=args.version, timestamp=args.as_of, run_date=run_date)
    df = snapshot.df
    if args.where:
        try:
            df = df.filter(args.where)
        except (AnalysisException, ParseException) as exc:
            raise LakehouseError(f"--where {args.where!r}: {spark_message(exc)}") from None
    text = render(df.orderBy(df.columns[0]), args.format, limit=args.limit)
    print(snapshot.description, file=sys.stderr)
    if text:
        print(text)
    return 0


def _diff(args: argparse.Namespace) -> int:
    ref, profile, run_date = _target(args)
    keys = [k.strip() for k in args.keys.split(",") if k.strip()] if args.keys else None
    if _engine(args, ref, rows=True, spark_only="--method cdf" if args.method == "cdf" else None).name == "delta-rs":
        from lakehouse.audit import rs_changes

        description, text = rs_changes.diff_text(ref.path, args.format, _zone(profile), args.start, args.end,
                                                 keys=keys, key=args.key, run_date=run_date)
        print(description, file=sys.stderr)
        if text:
            print(text)
        return 0
    from lakehouse.audit import read as audit
    from lakehouse.cli import audit_text
    from lakehouse.cli.render import render

    spark = spark_for(profile, args)
    found = audit.compare(spark, ref, args.start, args.end, keys=keys,
                          key_filter=_key_values(spark, ref, args.key) or None, method=args.method, run_date=run_date)
    df = found.df
    key_cols = df.columns[:df.columns.index("change")]
    df = df.orderBy(*key_cols)
    if args.format == "table":
        df = df.select(*key_cols, "change", audit_text.change_text(df).alias("values"))
    text = render(df, args.format)
    print(found.description, file=sys.stderr)
    if text:
        print(text)
    return 0


def _restore(args: argparse.Namespace) -> int:
    from lakehouse.audit import read as audit

    spark, ref, _, run_date = _open(args)
    if not args.yes:
        raise LakehouseError(f"restore replaces the current data of {ref}; add --yes to confirm")
    done = audit.restore(spark, ref, version=args.version, timestamp=args.as_of, run_date=run_date, confirm=True,
                         reason=args.reason)
    m = done.metrics
    undone = f", before the load of run date {run_date} (version {done.undone})" if done.undone is not None else ""
    print(f"restored {done.table} to version {done.restored_version}{undone}: new version {done.version} "
          f"(run {done.run_id}; {m['num_restored_files']} files restored, {m['num_removed_files']} removed)")
    return 0


def _vacuum(args: argparse.Namespace) -> int:
    from lakehouse.audit import read as audit

    spark, ref, profile, _ = _open(args)
    done = audit.vacuum(spark, ref, args.retain_hours, audit_window_days=profile.audit.retention_days,
                        force=args.force)
    deleted = "" if done.deleted_files is None else f"; {done.deleted_files} files deleted"
    print(f"vacuumed {done.table}: kept the files of the last {done.retain_hours:g} hours{deleted}")
    return 0


# ---------------------------------------------------------------------------- helpers

def _open(args: argparse.Namespace):
    """The session, the table the command names, the profile (for the audit window) and the ``--run-date``
    (None when not given), checked before Spark starts."""
    ref, profile, run_date = _target(args)
    return spark_for(profile, args), ref, profile, run_date


def _engine(args: argparse.Namespace, ref, **request):
    """The engine that answers (rules: :func:`lakehouse.audit.engine.choose`)."""
    from lakehouse.audit.engine import choose

    return choose(args.engine, ref, **request)


def _zone(profile: Profile) -> str | None:
    """The session time zone the profile sets (None: the machine's, as the JVM's default)."""
    from lakehouse.audit.timetravel import SESSION_TIME_ZONE

    value = profile.spark.conf.get(SESSION_TIME_ZONE)
    return None if value is None else str(value)


def _target(args: argparse.Namespace):
    """The table the command names, the profile and the ``--run-date`` (None when not given); no Spark."""
    from lakehouse.table.ref import TableRef

    ref = TableRef.parse(args.table)  # a relative path is relative to the current folder; the
    profile = _profile(args, ref)       # audit functions check that the table exists
    run_date = None
    if getattr(args, "run_date", None) is not None:  # only show, diff and restore have the option
        try:
            run_date = resolve_run_date(args.run_date, profile.time_zone).isoformat()
        except ValueError as exc:
            raise UsageError(f"argument --run-date: {exc}") from None
    return ref, profile, run_date


def _profile(args: argparse.Namespace, ref) -> Profile:
    """The profile of the project of the table's path (or of the current folder); a project is not
    needed when ``--conf-dir``, ``$LAKEHOUSE_CONF_DIR`` or a profile file names where profiles are."""
    try:
        project = load_project(ref.path if ref.path and not is_uri(ref.path) else None)
    except ProjectNotFound:
        if not (args.conf_dir or os.environ.get(CONF_DIR_ENV) or (args.profile or "").endswith((".yaml", ".yml"))):
            raise
        project = None
    return load_profile(args.profile, args.conf_dir, project=project)


def _print(df, fmt: str, limit: int | None = None) -> None:
    from lakehouse.cli.render import render

    text = render(df, fmt, limit=limit)
    if text:
        print(text)


def _key_values(spark, ref, pairs: list[str]) -> dict:
    """``["order_id=1003"]`` → ``{"order_id": 1003}``, each value converted to the column's type."""
    from pyspark.sql import types as T

    from lakehouse.audit import timetravel
    from lakehouse.audit.keys import key_values

    if not pairs:
        return {}
    kinds = ((T.IntegralType, "long"), (T.DecimalType, "decimal"), (T.FloatType, "double"), (T.DoubleType, "double"),
             (T.BooleanType, "boolean"), (T.DateType, "date"), (T.TimestampType, "timestamp"))
    types = {f.name: (next((k for t, k in kinds if isinstance(f.dataType, t)), "string"), f.dataType.simpleString())
             for f in ref.read(spark.read).schema}
    return key_values(pairs, types, str(ref), lambda text: timetravel.resolve(spark, text))
