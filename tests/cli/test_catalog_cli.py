"""`order2cash catalog ...`: quality rules and sub-assortments through the CLI (the API's models and
domain functions), seen in what `catalog quality` and `catalog export` report; and the import →
diff → publish path of a catalog manager.

Demo data (demo/catalog_versions.py): version 1 is published, draft 2 adds CBL-CAT6A-10M (no ECLASS
code, no image); Globex sees network and cables (SW-24-PRO, CBL-CAT6-5M) and requires a
classification and a 20-character description.
"""

import csv
import json
import re
from pathlib import Path

from catalog import quality, subassortments
from catalog.tables import Item
from catalog.versions import store
from core.database import session_scope

DATA = Path(__file__).parents[1] / "catalog" / "data"
DEMO_RULES = [
    {"rule": "classification", "params": {"systems": ["ECLASS", "UNSPSC"]}},
    {"rule": "min_description_length", "params": {"length": 20}},
]


def flat(output: str) -> str:
    """The output on one line: rich wraps long lines."""
    return " ".join(output.split())


def rules(engine) -> list[dict]:
    with session_scope(engine) as session:
        return [r.model_dump() for r in quality.rule_inputs(session, "globex")]


def own_view(engine, customer: str = "globex"):
    with session_scope(engine) as session:
        return subassortments.own_definition(session, customer)


def exported_skus(run, tmp_path: Path, customer: str = "globex") -> list[str]:
    out = tmp_path / f"{customer}.csv"
    result = run("catalog", "export", customer, "--format", "csv", "-o", out)
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8", newline="") as f:
        return [r["sku"] for r in csv.DictReader(f)]


def quality_line(run, customer: str = "globex") -> str:
    """`catalog quality 2 --customer ...`: the customer's summary line and its failures."""
    result = run("catalog", "quality", 2, "--customer", customer)
    assert result.exit_code == 0, result.output
    return flat(result.output)


def test_quality_rules_round_trip_and_change_quality_report_and_export(run, cli_db, tmp_path):
    result = run("catalog", "quality-rules", "globex")
    assert result.exit_code == 0 and "min_description_length" in result.output and '{"length": 20}' in result.output
    result = run("catalog", "quality-rules", "globex", "--json")
    assert result.exit_code == 0 and json.loads(result.output) == DEMO_RULES
    (tmp_path / "rules.json").write_text(result.output)
    result = run("catalog", "quality-rules", "globex", "--file", tmp_path / "rules.json")  # what --json printed
    assert result.exit_code == 0, result.output
    assert rules(cli_db) == DEMO_RULES
    assert "globex (classification, min_description_length): 1 of 3 items fail" in quality_line(run)
    assert exported_skus(run, tmp_path) == ["CBL-CAT6-5M", "SW-24-PRO"]

    # a rule no item of the view meets: the published view withholds them all
    result = run(
        "catalog",
        "quality-rules",
        "globex",
        "--file",
        "-",
        input='[{"rule": "min_description_length", "params": {"length": 500}}]',
    )
    assert result.exit_code == 0, result.output
    assert "globex's view of version 1 re-checked: 2 items withheld" in flat(result.output)
    assert rules(cli_db) == [{"rule": "min_description_length", "params": {"length": 500}}]
    assert "globex (min_description_length): 3 of 3 items fail" in quality_line(run)
    assert exported_skus(run, tmp_path) == []

    result = run("catalog", "quality-rules", "globex", "--clear")
    assert result.exit_code == 0 and "no quality rules" in result.output
    assert rules(cli_db) == []
    assert exported_skus(run, tmp_path) == ["CBL-CAT6-5M", "SW-24-PRO"]
    assert run("catalog", "quality-rules", "globex", "--json").output.strip() == "[]"


def test_quality_rules_refuse_bad_input_and_keep_the_rules(run, cli_db, tmp_path):
    cases = [
        (["--file", "-"], '[{"rule": "colour"}]', "rules.0.rule: Input should be 'classification'"),
        (["--file", "-"], '[{"rule": "min_description_length"}]', "rules: min_description_length needs a length"),
        (
            ["--file", "-"],
            '[{"rule": "classification", "params": {"systems": ["DIN"]}}]',
            "rules: classification systems are ECLASS and UNSPSC",
        ),
        (["--file", "-"], '[{"rule": ', "Invalid JSON"),
        (["--file", tmp_path / "missing.json"], None, "file: "),
        (["--file", "-", "--clear"], "[]", "give --file or --clear, not both"),
    ]
    for args, stdin, message in cases:
        result = run("catalog", "quality-rules", "globex", *args, input=stdin)
        assert result.exit_code == 1, (args, result.output)
        assert message in flat(result.output), (args, result.output)
    assert rules(cli_db) == DEMO_RULES
    for args in ([], ["--file", "-"]):
        result = run("catalog", "quality-rules", "nobody", *args, input="[]")
        assert result.exit_code == 1 and "customer: unknown customer nobody" in result.output, result.output


def test_sub_assortment_round_trip_and_change_export_and_quality(run, cli_db, tmp_path):
    result = run("catalog", "sub-assortment", "globex")
    assert result.exit_code == 0 and "Globex network and cables" in result.output
    assert "categories: network, cables" in result.output
    result = run("catalog", "sub-assortment", "globex", "--json")
    assert result.exit_code == 0
    demo = json.loads(result.output)
    assert demo == {"name": "Globex network and cables", "categories": ["network", "cables"], "skus": [], "rules": []}

    # options: one category, one SKU from elsewhere, filter rules
    result = run(
        "catalog",
        "sub-assortment",
        "globex",
        "--name",
        "switches and UPS",
        "--categories",
        "network",
        "--sku",
        "PWR-UPS-AT",
        "--rule",
        "list_price lte 2000",
        "--rule",
        "manufacturer in NetGear,PowerSafe",
    )
    assert result.exit_code == 0, result.output
    view = own_view(cli_db)
    assert (view.name, view.categories, view.skus) == ("switches and UPS", ["network"], ["PWR-UPS-AT"])
    assert [r.model_dump() for r in view.rules] == [
        {"field": "list_price", "op": "lte", "value": 2000},
        {"field": "manufacturer", "op": "in", "value": ["NetGear", "PowerSafe"]},
    ]
    # Globex has quality rules: its new view is re-checked at once (both items pass them)
    assert "globex's view of version 1 re-checked: 0 items withheld" in flat(result.output)
    assert exported_skus(run, tmp_path) == ["PWR-UPS-AT", "SW-24-PRO"]
    assert "globex (classification, min_description_length): 0 of 2 items fail" in quality_line(run)

    result = run("catalog", "sub-assortment", "globex", "--rule", "image_url present")  # every item with an image
    assert result.exit_code == 0 and "neither: every item" in flat(result.output), result.output
    assert exported_skus(run, tmp_path) == ["CBL-CAT6-5M", "SW-24-PRO"]

    # what --json printed goes back in with --file
    (tmp_path / "view.json").write_text(json.dumps(demo))
    assert run("catalog", "sub-assortment", "globex", "--file", tmp_path / "view.json").exit_code == 0
    assert own_view(cli_db).model_dump() == demo
    assert "1 of 3 items fail" in quality_line(run)

    result = run("catalog", "sub-assortment", "globex", "--clear")
    assert result.exit_code == 0 and "sub-assortment removed" in result.output
    assert own_view(cli_db) is None
    assert "no sub-assortment: its view is its contract assortment" in run("catalog", "sub-assortment", "globex").output
    assert run("catalog", "sub-assortment", "globex", "--json").output.strip() == "null"
    assert exported_skus(run, tmp_path) == ["CBL-CAT6-5M", "SW-24-PRO"]  # Globex's contract items


def test_a_subsidiary_shows_the_sub_assortment_it_inherits(run, cli_db):
    assert run("catalog", "sub-assortment", "acme", "--categories", "power").exit_code == 0
    result = run("catalog", "sub-assortment", "acme-at")
    assert result.exit_code == 0 and "acme-at has no sub-assortment of its own; it sees acme's" in flat(result.output)


def test_sub_assortment_refuses_bad_input_and_keeps_the_definition(run, cli_db, tmp_path):
    before = own_view(cli_db)
    cases = [
        (["--rule", "colour eq red"], None, "rules: unknown field 'colour' in a filter rule"),
        (["--rule", "list_price between 1"], None, "rules.0.op: Input should be 'eq'"),
        (["--rule", "list_price"], None, "rules: 'list_price' is not 'field op [value]'"),
        (["--file", "-"], '{"categories": "network"}', "categories: Input should be a valid array"),
        (["--file", "-"], '{"rules": [{"field": "name"}]}', "rules.0.op: Field required"),
        (["--file", "-"], "{", "Invalid JSON"),
        (["--clear", "--categories", "network"], None, "only one of them"),
        (["--file", "-", "--name", "x"], "{}", "only one of them"),
    ]
    for args, stdin, message in cases:
        result = run("catalog", "sub-assortment", "globex", *args, input=stdin)
        assert result.exit_code == 1, (args, result.output)
        assert message in flat(result.output), (args, result.output)
    assert own_view(cli_db) == before
    result = run("catalog", "sub-assortment", "nobody", "--categories", "network")
    assert result.exit_code == 1 and "customer: unknown customer nobody" in result.output


def test_import_diff_publish(run, cli_db):
    result = run("catalog", "import", DATA / "items.csv", "--mode", "delta")
    assert result.exit_code == 0, result.output
    version = int(re.search(r"new draft version (\d+)", result.output).group(1))
    assert "T-CSV-BAD" in result.output  # the per-item error report

    result = run("catalog", "diff", version)
    assert result.exit_code == 0, result.output
    assert "+ T-CSV-KBD" in result.output and "+ T-CSV-MOUSE" in result.output and "T-CSV-BAD" not in result.output

    result = run("catalog", "publish", version)
    assert result.exit_code == 0, result.output
    assert f"version {version} is published (was 1)" in flat(result.output)
    with session_scope(cli_db) as session:
        assert store.live_version(session) == version
        assert session.get(Item, "T-CSV-KBD") is not None
    assert f"{version} (live)" in run("catalog", "versions").output

    result = run("catalog", "publish", version)
    assert result.exit_code == 1 and "published" in result.output
    # the demo's draft 2 was copied from version 1: publishing it would undo this version
    result = run("catalog", "publish", 2)
    assert result.exit_code == 1 and f"copied from version 1, but version {version}" in flat(result.output)
    result = run("catalog", "publish", 2, "--force")
    assert result.exit_code == 0 and f"version 2 is published (was {version})" in flat(result.output)

    result = run("catalog", "import", DATA / "xxe.xml")
    assert result.exit_code == 1 and "not imported" in result.output
    result = run("catalog", "diff", 999)
    assert result.exit_code == 1 and "999" in result.output
