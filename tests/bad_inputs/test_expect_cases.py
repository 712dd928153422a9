"""Mistakes in ``expect`` rules, and a ``fail`` rule that rows break: one line naming the job file and the
rule, the documented exit code, and nothing written to the target or the quarantine table."""

import pytest

from tests.bad_inputs.harness import Case, check, set_field

ROW = {"a.csv": "id,name,day,seq,op\n5,a,2024-01-01,2,I\n6,b,2024-01-01,-1,I\n"}
QUARANTINE = {"name": "positive", "condition": "seq > 0", "action": "quarantine"}


def rule(condition: str, action: str = "warn", name: str = "r"):
    """An edit setting ``expect`` to a quarantine rule that rows fail, then this rule."""
    return set_field("expect", [QUARANTINE, {"name": name, "condition": condition, "action": action}])


CASES = [
    # ------------------------------------------------------------------------------------------ spec
    Case("expect-names-repeated", "{job}:16: expect: expectation names must be unique: positive listed more than "
                                  "once", 2, edit=rule("true", name="positive")),
    Case("expect-reserved-name", "{job}:20: expect[1].name: 'malformed' is reserved for rows rejected by "
                                 "source.on_malformed", 2, edit=rule("true", name="malformed")),
    Case("expect-unknown-action", "{job}:22: expect[1].action: input should be 'warn', 'drop', 'quarantine' or "
                                  "'fail'", 2, edit=rule("true", action="ignore")),
    Case("expect-empty-condition", "{job}:21: expect[1].condition: string should have at least 1 character", 2,
         edit=rule("")),
    # ------------------------------------------------------------------------------------------- run
    Case("expect-not-boolean", "{job}: expect[1].condition: 'name' is STRING, not a condition (BOOLEAN)", 2,
         edit=rule("name"), files=ROW),
    Case("expect-unknown-column", "{job}: expect[1].condition: [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, "
                                  "variable, or function parameter with name `colour` cannot be resolved. Did you "
                                  "mean one of the following? [`op`, `day`, `id`, `name`, `seq`].", 2,
         edit=rule("colour = 'red'"), files=ROW),
    Case("expect-syntax", "{job}: expect[1].condition: [PARSE_SYNTAX_ERROR] Syntax error at or near end of input.",
         2, edit=rule("seq >"), files=ROW),
    Case("expect-fail-rule", "{job}: expect[1]: 2 rows fail rule small (id < 5), e.g. (id=5), (id=6); nothing "
                             "was written", 3, edit=rule("id < 5", action="fail", name="small"), files=ROW),
]


@pytest.mark.parametrize("index, case", list(enumerate(CASES)), ids=[c.id for c in CASES])
def test_bad_expectation(world, capfd, index, case):
    check(world, case, index, capfd)
