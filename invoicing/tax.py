"""Which VAT applies to a line (category, rate, exemption reason) and the EN 16931 VAT breakdown.

EN 16931 computes VAT per breakdown group (category and rate), rounded once per group; the line
amounts stay net. This differs from `models.money.line_amounts` (VAT per line), which the invoice
tables keep for now: an e-invoice's totals come from here.
"""

from decimal import Decimal
from typing import Literal

from models.einvoices import DocumentLine, DocumentTotals, VatBreakdownLine, VatCategory
from models.money import round_money

ZERO = Decimal("0")

# The EU member states (ISO 3166-1 alpha-2; pycountry has no EU flag). Greece's VAT IDs start with
# "EL", its country code is GR. Northern Ireland (XI) trades goods as a member state; the UK does not.
EU_COUNTRIES = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip

# The exemption reason text and VATEX code (CEF VATEX list) each zero-rated treatment carries.
EXEMPTIONS: dict[VatCategory, tuple[str, str]] = {
    VatCategory.K: ("Intra-community supply", "VATEX-EU-IC"),
    VatCategory.AE: ("Reverse charge", "VATEX-EU-AE"),
    VatCategory.G: ("Export outside the EU", "VATEX-EU-G"),
    VatCategory.O: ("Not subject to VAT", "VATEX-EU-O"),
}


def vat_treatment(
    seller_country: str,
    buyer_country: str,
    buyer_vat_id: str | None,
    supply: Literal["goods", "services"],
    item_category: VatCategory,
    item_rate: Decimal,
    item_exemption_reason: str | None,
) -> tuple[VatCategory, Decimal, str | None]:
    """The VAT category, rate and exemption reason of a line sold to this buyer."""
    if item_category == VatCategory.E:
        if not item_exemption_reason:
            raise ValueError("an exempt item (category E) needs an exemption reason")
        return VatCategory.E, ZERO, item_exemption_reason
    if item_category == VatCategory.Z:
        return VatCategory.Z, ZERO, item_exemption_reason
    if buyer_country == seller_country:
        return VatCategory.S, item_rate, None
    if buyer_country in EU_COUNTRIES:
        if not buyer_vat_id:  # a consumer or an unregistered business: taxed as at home
            return VatCategory.S, item_rate, None
        category = VatCategory.K if supply == "goods" else VatCategory.AE
    else:
        category = VatCategory.G if supply == "goods" else VatCategory.O
    return category, ZERO, EXEMPTIONS[category][0]


def exemption_code(category: VatCategory) -> str | None:
    found = EXEMPTIONS.get(category)
    return found[1] if found else None


def breakdown(lines: list[DocumentLine]) -> list[VatBreakdownLine]:
    """One group per (category, rate); its VAT is the group's net times the rate, rounded half up
    once (EN 16931 BR-CO-17), so it can differ from the sum of per-line VAT by a cent."""
    groups: dict[tuple[VatCategory, Decimal], list[DocumentLine]] = {}
    for line in lines:
        groups.setdefault((line.vat_category, line.vat_rate.normalize()), []).append(line)
    found = []
    for (category, rate), members in groups.items():
        taxable = sum((m.net_amount for m in members), Decimal("0.00"))
        # one breakdown per exempt category (BR-E-01 and friends): its lines' reasons together
        reasons = list(dict.fromkeys(m.exemption_reason for m in members if m.exemption_reason))
        found.append(
            VatBreakdownLine(
                category=category,
                rate=rate,
                taxable_amount=taxable,
                tax_amount=round_money(taxable * rate),
                exemption_reason="; ".join(reasons) or None,
            )
        )
    return found


def totals(lines: list[DocumentLine], paid: Decimal = Decimal("0.00")) -> DocumentTotals:
    """Document totals (BR-CO-10..16) without document level allowances or charges."""
    line_total = sum((line.net_amount for line in lines), Decimal("0.00"))
    tax_total = sum((group.tax_amount for group in breakdown(lines)), Decimal("0.00"))
    grand_total = line_total + tax_total
    return DocumentTotals(
        line_total=line_total,
        tax_basis_total=line_total,
        tax_total=tax_total,
        grand_total=grand_total,
        paid_amount=paid,
        due_payable=grand_total - paid,
    )
