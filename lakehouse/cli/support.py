"""What the ``lakehouse`` command and its command groups (``audit_cli``, ``deploy_cli``) share.

Kept apart from :mod:`lakehouse.cli.main` so the command groups never import the command that
registers them.
"""

from __future__ import annotations

import argparse
import logging

QUERY_CONTEXT_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def spark_for(profile, args: argparse.Namespace):
    """The session for a CLI command: quiet unless ``--debug``."""
    from lakehouse.session import get_spark

    spark = get_spark(profile)
    if not args.debug:  # errors reach the user as one line, not as Spark's log (tasks log their failures)
        spark.sparkContext.setLogLevel("OFF")
        for name in QUERY_CONTEXT_LOGGERS:  # PySpark logs each SQL analysis error itself
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    return spark
