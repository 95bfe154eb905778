"""`order2cash catalog changes`: what the command line changes is recorded as `cli:<os user>`
(cli_common.ACTOR) and listed newest first, filtered by customer, contract and kind; fixtures `run`
and `cli_db` in tests/cli/conftest.py (a fresh demo database per test)."""

from cli.common import ACTOR
from tests.cli.tables import row

GLOBEX = "GLOBEX-FC-2026"


def ids(output: str) -> list[str]:
    """The ids of the listed changes, in the order shown."""
    return [
        line.split("│")[1].strip()
        for line in output.splitlines()
        if line.startswith("│") and line.split("│")[1].strip().isdigit()
    ]


def test_command_line_edits_are_listed_newest_first(run):
    assert ACTOR.startswith("cli:")
    assert run("contracts", "set", GLOBEX, "--tolerance", "10").exit_code == 0
    assert run("contracts", "set", GLOBEX, "--tolerance", "10.00").exit_code == 0  # as it is: not recorded
    assert run("customers", "special-item", "acme-at", "PWR-UPS-AT", "--price", "579.00").exit_code == 0
    result = run("catalog", "quality-rules", "acme", "--file", "-", input='[{"rule": "image"}]')
    assert result.exit_code == 0, result.output

    result = run("catalog", "changes")
    assert result.exit_code == 0, result.output
    shown = ids(result.output)
    assert shown == sorted(shown, key=int, reverse=True)
    quality, special, terms = (row(result.output, i) for i in shown[:3])
    assert quality[2:7] == [ACTOR, "acme", "–", "quality_rules", "–"]
    assert quality[7] == '[] → [{"rule": "image", "params": {}}]'
    assert special[2:8] == [ACTOR, "acme-at", "–", "special_item", "PWR-UPS-AT", "price: 589.00 → 579.00"]
    assert terms[2:7] == [ACTOR, "globex", GLOBEX, "contract.terms", "–"]
    assert terms[7].startswith("tolerance_percent: ") and terms[7].endswith(" → 10.00")

    result = run("catalog", "changes", "--contract", GLOBEX)
    assert result.exit_code == 0 and ids(result.output) == [terms[0]], result.output
    result = run("catalog", "changes", "--customer", "acme-at", "--kind", "special_item")
    assert result.exit_code == 0 and ids(result.output) == [special[0]], result.output
    result = run("catalog", "changes", "--limit", "2")
    assert ids(result.output) == shown[:2] and f"older ones: --before-id {shown[1]}" in result.output
    result = run("catalog", "changes", "--limit", "2", "--before-id", shown[1])
    assert ids(result.output)[0] == shown[2]


def test_changes_refuses_an_unknown_kind_and_says_when_there_are_none(run):
    result = run("catalog", "changes", "--kind", "price")
    assert result.exit_code == 1 and "kind: 'price' is none of contract.terms" in result.output
    result = run("catalog", "changes", "--customer", "no-such-customer")
    assert result.exit_code == 0 and "no changes recorded" in result.output
