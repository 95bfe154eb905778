"""The seller's legal entity and bank account, as configured (core/settings.py, SELLER_*)."""

from core.settings import Settings
from models.einvoices import Party, PaymentAccount


def seller_party(settings: Settings) -> Party:
    return Party(
        name=settings.seller_name,
        street=settings.seller_street,
        postal_code=settings.seller_postal_code,
        city=settings.seller_city,
        country=settings.seller_country,
        vat_id=settings.seller_vat_id or None,
        tax_number=settings.seller_tax_number or None,
        legal_registration=settings.seller_register or None,
        email=settings.seller_email or None,
        contact_name=settings.seller_contact_name or None,
        contact_phone=settings.seller_contact_phone or None,
        contact_email=settings.seller_contact_email or None,
    )


def seller_account(settings: Settings) -> PaymentAccount:
    return PaymentAccount(iban=settings.seller_iban, bic=settings.seller_bic, account_name=settings.seller_name)
