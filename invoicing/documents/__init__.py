"""EN 16931 e-invoice documents: the CII XML (XRechnung 3.0 or Factur-X EN 16931), its check
against the published rules, and the ZUGFeRD / Factur-X PDF/A-3 that carries it."""

from invoicing.documents.checks import check, warm_up
from invoicing.documents.cii import to_cii_xml
from invoicing.documents.pdf import to_pdf
from models.einvoices import Finding, InvoiceDocument

__all__ = ["build", "check", "to_cii_xml", "to_pdf", "warm_up"]


def build(doc: InvoiceDocument) -> tuple[bytes, bytes | None, list[Finding]]:
    """The XML, the PDF (None when the check found an error: such a document must not be issued)
    and the check's findings."""
    xml = to_cii_xml(doc)
    findings = check(xml)
    if any(f.level == "error" for f in findings):
        return xml, None, findings
    return xml, to_pdf(doc, xml), findings
