"""`order2cash reports ...`: finance's figures on the command line, on rows the test inserts."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from core.database import session_scope
from invoicing.tables import BlockedInvoice, InvoiceRecord

AS_OF = date(2026, 6, 30)


def invoice(number: str, customer_id: str, age_days: int, gross: str) -> InvoiceRecord:
    issued = AS_OF - timedelta(days=age_days)
    return InvoiceRecord(
        id=f"inv-{number}",
        seller_id="seller",
        number=number,
        order_id=f"O-{number}",
        customer_id=customer_id,
        currency="EUR",
        issue_date=issued,
        due_date=issued + timedelta(days=30),
        payment_terms_days=30,
        net_total=Decimal(gross),
        vat_total=Decimal("0.00"),
        gross_total=Decimal(gross),
        lines=[],
        created_at=datetime.now(UTC),
        issue_key=f"key-{number}",
    )


def test_open_items_dso_invoices_and_blocked(run, cli_db):
    at = datetime(2026, 6, 29, 9, tzinfo=UTC)
    with session_scope(cli_db) as session:
        session.add_all([invoice("2026-000001", "acme", 10, "100.00"), invoice("2026-000002", "globex", 95, "250.00")])
        session.add(
            BlockedInvoice(
                seller_id="seller",
                issue_key="k",
                order_id="O-blocked",
                customer_id="acme",
                document_type="380",
                currency="EUR",
                gross_total=Decimal("119.00"),
                findings=[{"rule_id": "BR-DE-15", "level": "error", "text": "[BR-DE-15] buyer reference missing"}],
                blocked_at=at,
                checked_at=at,
            )
        )
    result = run("reports", "open-items", "--as-of", "2026-06-30")
    assert result.exit_code == 0, result.output
    assert "acme" in result.output and "globex" in result.output and "350.00" in result.output
    result = run("reports", "dso", "--as-of", "2026-06-30", "--days", "30")
    assert result.exit_code == 0 and "350.00" in result.output and "105.0" in result.output  # 350 / 100 x 30
    result = run("reports", "invoices", "--customer", "globex")
    assert result.exit_code == 0 and "2026-000002" in result.output and "2026-000001" not in result.output
    result = run("reports", "blocked")
    assert result.exit_code == 0 and "[BR-DE-15] buyer reference missing" in result.output
    result = run("reports", "invoices", "--status", "unpaid")
    assert result.exit_code == 1 and "status" in result.output
