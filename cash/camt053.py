"""Reading ISO 20022 camt.053 bank statements (versions .001.02 to .001.13), safely.

A statement is untrusted input: a file with a DOCTYPE (entity expansion, external entities) is
refused before lxml sees it, and the parser itself never resolves entities, loads a DTD, touches
the network or lifts libxml2's limits on huge nodes. Only what cash application needs is read:
each entry's amount, direction, status, dates, references and remittance information.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."
VERSIONS = range(2, 14)  # .02 up to .13
MAX_KEY = 160  # bankentry.key
_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}
# a DOCTYPE (or entity declaration) in ASCII/UTF-8 and in both UTF-16 byte orders
_DTD_MARKERS = [
    marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY") for encoding in ("ascii", "utf-16-le", "utf-16-be")
]


class StatementRefused(ValueError):
    """The file is no camt.053 statement this reader takes: the message says why."""


@dataclass(frozen=True)
class Entry:
    position: int  # 1-based, within its statement
    amount: Decimal
    currency: str
    credit: bool  # CdtDbtInd CRDT
    booked: bool  # Sts BOOK
    reversal: bool  # RvslInd: the bank takes back an earlier entry
    booking_date: date | None
    value_date: date | None
    account_servicer_ref: str | None  # AcctSvcrRef: the bank's own unique reference
    entry_ref: str | None  # NtryRef
    remittance: tuple[str, ...]  # Ustrd lines and structured creditor references, in document order
    debtor: str | None
    end_to_end_id: str | None


@dataclass(frozen=True)
class Statement:
    message_id: str | None
    statement_id: str
    account: str  # the IBAN, or the account's other id
    currency: str | None
    created: date | None
    entries: tuple[Entry, ...]


def parse(data: bytes) -> list[Statement]:
    """The statements of a camt.053 document; StatementRefused for anything else."""
    if any(marker in data for marker in _DTD_MARKERS):
        raise StatementRefused("a bank statement carries no DOCTYPE or entity declarations")
    try:
        root = etree.fromstring(data, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:
        raise StatementRefused(f"not well-formed XML: {exc}") from exc
    if root.getroottree().docinfo.internalDTD is not None:  # the second line of defence
        raise StatementRefused("a bank statement carries no DOCTYPE")
    namespace = etree.QName(root).namespace or ""
    version = namespace.removeprefix(NAMESPACE_PREFIX)
    if not namespace.startswith(NAMESPACE_PREFIX) or not version.isdigit() or int(version) not in VERSIONS:
        raise StatementRefused(
            f"not an ISO 20022 camt.053 statement (.001.02 to .001.13): the document's namespace is {namespace!r}"
        )
    ns = {"c": namespace}
    report = root.find("c:BkToCstmrStmt", ns)
    if report is None:
        raise StatementRefused("no BkToCstmrStmt in the document")
    message_id = _text(report, "c:GrpHdr/c:MsgId", ns)
    statements = [_statement(element, message_id, ns) for element in report.findall("c:Stmt", ns)]
    if not statements:
        raise StatementRefused("the document holds no statement (Stmt)")
    return statements


def _statement(element, message_id: str | None, ns: dict[str, str]) -> Statement:
    statement_id = _text(element, "c:Id", ns)
    account = _text(element, "c:Acct/c:Id/c:IBAN", ns) or _text(element, "c:Acct/c:Id/c:Othr/c:Id", ns)
    if not statement_id or not account:
        raise StatementRefused("a statement without its Id or its account's Id")
    created = _date(element, "c:CreDtTm", ns)
    entries = tuple(_entry(e, i, ns) for i, e in enumerate(element.findall("c:Ntry", ns), start=1))
    return Statement(
        message_id=message_id,
        statement_id=statement_id,
        account=account.replace(" ", ""),
        currency=_text(element, "c:Acct/c:Ccy", ns),
        created=created,
        entries=entries,
    )


def _entry(element, position: int, ns: dict[str, str]) -> Entry:
    amount_element = element.find("c:Amt", ns)
    if amount_element is None:
        raise StatementRefused(f"entry {position} has no amount")
    try:
        amount = Decimal((amount_element.text or "").strip())
    except InvalidOperation as exc:
        raise StatementRefused(f"entry {position}: {amount_element.text!r} is no amount") from exc
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e12") or amount != round(amount, 2):
        raise StatementRefused(f"entry {position}: {amount} is no amount in cents between 0 and 10^12")
    status = element.find("c:Sts", ns)
    # .02 to .05: <Sts>BOOK</Sts>; from .06: <Sts><Cd>BOOK</Cd></Sts>
    status_code = None if status is None else (_text(status, "c:Cd", ns) or (status.text or "").strip())
    transactions = element.findall("c:NtryDtls/c:TxDtls", ns)
    remittance: list[str] = []
    for tx in transactions:
        for info in tx.findall("c:RmtInf", ns):
            for part in info.iter(f"{{{ns['c']}}}Ustrd", f"{{{ns['c']}}}Ref"):
                is_reference = etree.QName(part).localname == "Ref"
                if is_reference and etree.QName(part.getparent()).localname != "CdtrRefInf":
                    continue
                if part.text and part.text.strip():
                    remittance.append(part.text.strip())
    if not remittance and (extra := _text(element, "c:AddtlNtryInf", ns)):
        remittance.append(extra)  # some banks put the purpose of an entry without details here
    first = transactions[0] if transactions else None
    return Entry(
        position=position,
        amount=amount,
        currency=amount_element.get("Ccy", "").strip().upper(),
        credit=_text(element, "c:CdtDbtInd", ns) == "CRDT",
        booked=status_code == "BOOK",
        reversal=_text(element, "c:RvslInd", ns) in ("true", "1"),
        booking_date=_date(element, "c:BookgDt", ns),
        value_date=_date(element, "c:ValDt", ns),
        account_servicer_ref=_text(element, "c:AcctSvcrRef", ns),
        entry_ref=_text(element, "c:NtryRef", ns),
        remittance=tuple(remittance),
        debtor=None if first is None else _debtor(first, ns),
        end_to_end_id=None if first is None else _text(first, "c:Refs/c:EndToEndId", ns),
    )


def _debtor(tx, ns: dict[str, str]) -> str | None:
    # up to .07 RltdPties/Dbtr/Nm, from .08 RltdPties/Dbtr/Pty/Nm
    return _text(tx, "c:RltdPties/c:Dbtr/c:Nm", ns) or _text(tx, "c:RltdPties/c:Dbtr/c:Pty/c:Nm", ns)


def _text(element, path: str, ns: dict[str, str]) -> str | None:
    found = element.find(path, ns)
    text = None if found is None or found.text is None else found.text.strip()
    return text or None


def _date(element, path: str, ns: dict[str, str]) -> date | None:
    """A date element (Dt, or DtTm) or a date-time: its day."""
    found = element.find(path, ns)
    if found is None:
        return None
    texts = [found.text] if len(found) == 0 else [child.text for child in found]
    for text in texts:
        if text and text.strip():
            value = text.strip()
            try:
                return date.fromisoformat(value[:10])  # a DtTm's day
            except ValueError as exc:
                raise StatementRefused(f"{value!r} is no date ({etree.QName(found).localname})") from exc
    return None


def entry_key(statement: Statement, entry: Entry) -> str:
    """What makes an entry one, whichever file brings it again: the bank's reference for it
    (AcctSvcrRef), else the statement's id with the entry's NtryRef, else a hash of what the
    entry says and where it stands. Prefixed with the account: banks number only their own
    entries. A reference that would not fit a URL or a payment reference is hashed (stable too)."""
    if entry.account_servicer_ref:
        ident = entry.account_servicer_ref
    elif entry.entry_ref:
        ident = f"{statement.statement_id}:{entry.entry_ref}"
    else:
        facts = [str(entry.booking_date), f"{entry.amount:.2f}", entry.currency, "\n".join(entry.remittance)]
        ident = "h" + _digest(statement.account, *facts, str(entry.position))
    key = f"{statement.account}:{ident}"
    if len(key) <= MAX_KEY and _SAFE_KEY.fullmatch(key):
        return key
    return f"{_SAFE_KEY_CHARS.sub('', statement.account)[:40]}:x{_digest(statement.account, ident)}"


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


# a key goes into URLs and payment references: printable, without spaces or slashes
_SAFE_KEY = re.compile(r"[A-Za-z0-9:._+\-]+")
_SAFE_KEY_CHARS = re.compile(r"[^A-Za-z0-9._+\-]")


def booking_day(statement: Statement, entry: Entry) -> date:
    """The day the money counts as received: the booking date (else the value date, else the
    statement's creation)."""
    day = entry.booking_date or entry.value_date or statement.created
    if day is None:
        raise StatementRefused(f"entry {entry.position} of statement {statement.statement_id} has no booking date")
    return day
