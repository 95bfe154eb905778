"""`order2cash finance ...` on SQLite and PostgreSQL: a statement whose entries book nothing is
imported (no Temporal needed), listed, refused when assigned to a paid invoice, and dismissed."""

from tests.cash.camt import IBAN, Ntry, statement
from tests.cash.test_service import add_invoice
from tests.cli.conftest import cli_db, run  # noqa: F401  (fixtures)


def test_import_list_assign_refused_and_dismiss(run, cli_db, tmp_path):  # noqa: F811
    paid = add_invoice(cli_db, "10.00", paid="10.00")
    path = tmp_path / "statement.xml"
    path.write_bytes(
        statement(Ntry("12.34", ["ohne Referenz"], ref="C-1"), Ntry("3.00", ["Gebühr"], credit=False, ref="C-2"))
    )
    result = run("finance", "import-statement", path)
    assert result.exit_code == 0, result.output
    assert f"{IBAN}:C-1" in result.output and "unmatched: 1, skipped: 1" in result.output

    again = run("finance", "import-statement", path)
    assert again.exit_code == 0 and "duplicate: 2" in again.output

    listed = run("finance", "unmatched")
    assert listed.exit_code == 0 and f"{IBAN}:C-1" in listed.output and "12.34" in listed.output

    refused = run("finance", "assign", f"{IBAN}:C-1", paid.id)
    assert refused.exit_code == 1 and "is paid" in refused.output
    refused = run("finance", "assign", f"{IBAN}:C-1", paid.id, "--amount", "1.001")
    assert refused.exit_code == 1 and "--amount" in refused.output

    dismissed = run("finance", "dismiss", f"{IBAN}:C-1", "--note", "refunded")
    assert dismissed.exit_code == 0 and "dismissed: refunded" in dismissed.output
    assert f"{IBAN}:C-1" not in run("finance", "unmatched").output


def test_a_foreign_file_is_refused(run, tmp_path):  # noqa: F811
    path = tmp_path / "camt054.xml"
    path.write_bytes(statement(Ntry("1.00")).replace(b"camt.053.001.08", b"camt.054.001.08"))
    result = run("finance", "import-statement", path)
    assert result.exit_code == 1 and "camt.053" in result.output
