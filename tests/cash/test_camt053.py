"""Reading camt.053: every version's shape, what is a payment, the keys that make an entry one,
and hostile or foreign files refused before anything is read from them."""

from datetime import date
from decimal import Decimal

import pytest

from cash import camt053
from tests.cash.camt import BILLION_LAUGHS, IBAN, XXE, Ntry, statement


@pytest.mark.parametrize("version", [2, 5, 6, 8, 13])
def test_every_version_reads_the_same(version):
    data = statement(
        Ntry("100.50", ["RE 2026-000123", "thanks"], ref="REF-1", booking_date=date(2026, 3, 1)),
        Ntry("7.00", credit=False, ref="REF-2"),
        Ntry("9.99", booked=False, creditor_ref="INV-seller-2026-000124"),
        version=version,
    )
    [stmt] = camt053.parse(data)
    assert (stmt.statement_id, stmt.account, stmt.message_id) == ("STMT-1", IBAN, "MSG-1")
    paid, debit, pending = stmt.entries
    assert paid.amount == Decimal("100.50") and paid.currency == "EUR" and paid.credit and paid.booked
    assert paid.booking_date == date(2026, 3, 1) and paid.debtor == "ACME GmbH"
    assert paid.remittance == ("RE 2026-000123", "thanks")
    assert not debit.credit and debit.booked
    assert pending.credit and not pending.booked and pending.remittance == ("INV-seller-2026-000124",)


def test_entry_keys_bank_reference_then_statement_and_entry_ref_then_hash():
    [stmt] = camt053.parse(
        statement(Ntry("1.00", ref="REF-1"), Ntry("1.00", ntry_ref="N-2"), Ntry("1.00"), Ntry("1.00", ref="A/B 7"))
    )
    keys = [camt053.entry_key(stmt, e) for e in stmt.entries]
    assert keys[0] == f"{IBAN}:REF-1"
    assert keys[1] == f"{IBAN}:STMT-1:N-2"
    assert keys[2].startswith(f"{IBAN}:h") and keys[3].startswith(f"{IBAN}:x")  # no slash or space in a key
    [again] = camt053.parse(statement(Ntry("1.00", ref="REF-1"), Ntry("1.00", ntry_ref="N-2"), Ntry("1.00")))
    assert [camt053.entry_key(again, e) for e in again.entries] == keys[:3]


@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, XXE, BILLION_LAUGHS.decode().encode("utf-16")])
def test_a_doctype_is_refused_before_parsing(hostile):
    with pytest.raises(camt053.StatementRefused, match="DOCTYPE"):
        camt053.parse(hostile)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (statement(Ntry("1.00")).replace(b"camt.053.001.08", b"camt.052.001.08"), "namespace"),
        (statement(Ntry("1.00")).replace(b"camt.053.001.08", b"camt.053.001.14"), "namespace"),
        (b"<Document><BkToCstmrStmt/></Document>", "namespace"),
        (b"not xml", "well-formed"),
        (statement(Ntry("1.00")).replace(b">1.00<", b">1.001<"), "no amount in cents"),
        (statement(Ntry("1.00")).replace(b">1.00<", b">-5.00<"), "no amount in cents"),
    ],
)
def test_other_files_are_refused(data, why):
    with pytest.raises(camt053.StatementRefused, match=why):
        camt053.parse(data)
