"""Cash application: bank statements (ISO 20022 camt.053) matched to open invoices."""
