"""Identifiers and literals are quoted before they reach SQL. No Spark."""

import datetime as dt
import decimal

from lakehouse._sql import partition_predicate, quote_ident, quote_table_name, sql_literal


def test_identifiers_are_backtick_quoted():
    assert quote_ident("order date") == "`order date`"
    assert quote_ident("a`b") == "`a``b`"
    assert quote_table_name("main.sales.orders") == "`main`.`sales`.`orders`"


def test_literals_are_typed_and_escaped():
    assert [sql_literal(v) for v in (None, True, 3, decimal.Decimal("1.50"), "it's", "a\\'b")] == [
        "NULL", "TRUE", "3", "1.50", "'it\\'s'", "'a\\\\\\'b'"]
    assert sql_literal(dt.date(2024, 3, 1)) == "DATE'2024-03-01'"
    cet = dt.timezone(dt.timedelta(hours=1))
    assert sql_literal(dt.datetime(2024, 3, 1, 8, 30, tzinfo=cet)) == "TIMESTAMP'2024-03-01 07:30:00+00:00'"


def test_partition_predicate_for_replace_where():
    assert partition_predicate(["day", "shop"], [(dt.date(2024, 3, 1), "o'neil"), (dt.date(2024, 3, 2), None)]) == (
        "(`day` = DATE'2024-03-01' AND `shop` = 'o\\'neil') OR (`day` = DATE'2024-03-02' AND `shop` IS NULL)")
    assert partition_predicate(["day"], []) == "FALSE"
