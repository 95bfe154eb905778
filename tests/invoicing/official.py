"""The official EN 16931 / XRechnung validator (../shared/validators/validate.py, published rule
sets nobody on this project wrote), run on documents the tests produce.

Absent on a fresh clone without ../shared: tests skip only their official part then
(`require_official`). Accepted and rejected documents are counted for the terminal summary
(tests/conftest.py `pytest_terminal_summary`).
"""

import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Literal

import pytest
from lxml import etree

VALIDATE = Path(__file__).resolve().parents[2].parent / "shared" / "validators" / "validate.py"
Kind = Literal["invoice-cii", "invoice-cii-en16931"]
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

# (accepted or rejected, "XRechnung" or "EN 16931", type code) -> documents
checked: Counter[tuple[bool, str, str]] = Counter()


def available() -> bool:
    return VALIDATE.is_file()


def require_official() -> None:
    if not available():
        pytest.skip(f"the official validator is absent ({VALIDATE})")


def kind_for(xml: bytes) -> Kind:
    """XRechnung when the document names the XRechnung specification, else plain EN 16931."""
    guideline = etree.fromstring(xml, SAFE_PARSER).findtext(
        f"{{{RSM}}}ExchangedDocumentContext/{{{RAM}}}GuidelineSpecifiedDocumentContextParameter/{{{RAM}}}ID"
    )
    return "invoice-cii" if "xrechnung" in (guideline or "") else "invoice-cii-en16931"


def official_check(xml: bytes, kind: Kind | None = None) -> tuple[bool, str]:
    """(accepted, the validator's output); exit status 0 means no error."""
    require_official()
    kind = kind or kind_for(xml)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "invoice.xml"
        path.write_bytes(xml)
        run = subprocess.run(
            [sys.executable, str(VALIDATE), kind, str(path)], capture_output=True, text=True, timeout=300
        )
    accepted = run.returncode == 0
    type_code = etree.fromstring(xml, SAFE_PARSER).findtext(f"{{{RSM}}}ExchangedDocument/{{{RAM}}}TypeCode") or "?"
    checked[(accepted, "XRechnung" if kind == "invoice-cii" else "EN 16931", type_code)] += 1
    return accepted, run.stdout + run.stderr


def summary() -> str | None:
    """One line for the terminal summary, or None when no document went to the validator."""
    if not checked:
        return None

    def counted(accepted: bool) -> str:
        by_type = Counter[str]()
        by_spec = Counter[str]()
        for (ok, spec, type_code), n in checked.items():
            if ok == accepted:
                by_type[type_code] += n
                by_spec[spec] += n
        names = {"380": "invoice", "381": "credit note"}
        types = ", ".join(
            f"{n} {names.get(code, 'document')}{'' if n == 1 else 's'} ({code})" for code, n in sorted(by_type.items())
        )
        specs = ", ".join(f"{n} {spec}" for spec, n in sorted(by_spec.items()))
        return f"{types} [{specs}]" if types else "0"

    return f"official EN 16931 validator: accepted {counted(True)}; rejected {counted(False)}"
