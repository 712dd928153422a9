"""``source.on_malformed: quarantine`` and ``target.merge.null_keys: quarantine``: the rejected rows land in
the quarantine table next to the expectation failures."""

from chispa import assert_df_equality

from tests.jobs import expected, merge_spec, raw, read_table
from tests.run.test_expectations import quarantine_rows, quarantined

D1 = "2024-01-01"


def test_malformed_null_keys_and_rules_share_the_quarantine_table(spark, project, run):
    spec = merge_spec(null_keys="quarantine")
    spec["source"]["on_malformed"] = "quarantine"
    spec["expect"] = [{"name": "positive", "condition": "seq > 0", "action": "quarantine"}]
    raw(project, D1, "1,a,2024-01-01,1,I", "x,b,2024-01-01,1,I", ",c,2024-01-01,1,I", ",d,2024-01-01,-1,I",
        "2,e,2024-01-01,-1,I")
    summary = run(spec, D1)
    assert_df_equality(read_table(spark, project), expected(spark, (1, "a", D1, 1, "I")))
    # a row failing a rule never reaches the key checks: (NULL, d) is quarantined by `positive`
    assert_df_equality(quarantined(spark, project), quarantine_rows(
        spark, summary.run_id, D1, (None, None, None, None, None, ["malformed"], "x,b,2024-01-01,1,I"),
        (None, "c", D1, 1, "I", ["null_keys"], None), (None, "d", D1, -1, "I", ["positive"], None),
        (2, "e", D1, -1, "I", ["positive"], None)), ignore_row_order=True, ignore_nullable=True)
    assert (summary.malformed_dropped, summary.null_keys_dropped, summary.quarantined) == (1, 1, 4)
    assert "  rejected    2 rows (1 malformed, 1 null keys)" in summary.render()


def test_quarantine_options_without_bad_rows_write_no_table(spark, project, run):
    spec = merge_spec(null_keys="quarantine")
    spec["source"]["on_malformed"] = "quarantine"
    raw(project, D1, "1,a,2024-01-01,1,I")
    summary = run(spec, D1)
    assert (summary.quarantined, summary.quarantine_table) == (0, None)
    assert sorted(p.name for p in (project / "lake").iterdir()) == ["things"]
