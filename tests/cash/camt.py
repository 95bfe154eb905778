"""A small camt.053 builder for the tests: statements with the entries a test needs, in any
version from .02 to .13 (the status and the debtor's name moved between versions)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

from core.calendar import utc_today as today

IBAN = "DE89370400440532013000"


@dataclass
class Ntry:
    amount: str
    remittance: list[str] = field(default_factory=list)  # Ustrd lines
    creditor_ref: str | None = None  # Strd/CdtrRefInf/Ref
    ref: str | None = None  # AcctSvcrRef
    ntry_ref: str | None = None
    credit: bool = True
    booked: bool = True
    booking_date: date | None = None
    currency: str = "EUR"
    debtor: str = "ACME GmbH"


def statement(
    *entries: Ntry,
    version: int = 8,
    account: str = IBAN,
    statement_id: str = "STMT-1",
    message_id: str = "MSG-1",
) -> bytes:
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version:02d}"

    def el(parent, tag: str, text: str | None = None, **attrs):
        child = etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
        if text is not None:
            child.text = text
        return child

    doc = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    report = el(doc, "BkToCstmrStmt")
    header = el(report, "GrpHdr")
    el(header, "MsgId", message_id)
    el(header, "CreDtTm", "2026-03-02T06:00:00+01:00")
    stmt = el(report, "Stmt")
    el(stmt, "Id", statement_id)
    el(stmt, "CreDtTm", "2026-03-02T06:00:00+01:00")
    acct = el(stmt, "Acct")
    el(el(acct, "Id"), "IBAN", account)
    el(acct, "Ccy", "EUR")
    for e in entries:
        ntry = el(stmt, "Ntry")
        if e.ntry_ref:
            el(ntry, "NtryRef", e.ntry_ref)
        el(ntry, "Amt", f"{Decimal(e.amount):.2f}", Ccy=e.currency)
        el(ntry, "CdtDbtInd", "CRDT" if e.credit else "DBIT")
        status = "BOOK" if e.booked else "PDNG"
        if version < 6:
            el(ntry, "Sts", status)
        else:
            el(el(ntry, "Sts"), "Cd", status)
        day = (e.booking_date or today()).isoformat()
        el(el(ntry, "BookgDt"), "Dt", day)
        el(el(ntry, "ValDt"), "Dt", day)
        if e.ref:
            el(ntry, "AcctSvcrRef", e.ref)
        tx = el(el(ntry, "NtryDtls"), "TxDtls")
        el(el(tx, "Refs"), "EndToEndId", "NOTPROVIDED")
        debtor = el(el(tx, "RltdPties"), "Dbtr")
        el(el(debtor, "Pty") if version >= 8 else debtor, "Nm", e.debtor)
        if e.remittance or e.creditor_ref:
            info = el(tx, "RmtInf")
            for line in e.remittance:
                el(info, "Ustrd", line)
            if e.creditor_ref:
                el(el(el(info, "Strd"), "CdtrRefInf"), "Ref", e.creditor_ref)
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt><Id>&lol4;</Id>
</Stmt></BkToCstmrStmt></Document>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt><Id>&secret;</Id>
</Stmt></BkToCstmrStmt></Document>"""
