"""Customers: the tree of parents and subsidiaries, their catalog rules (price lists, role rules
and limits, part numbers, special items) and the audit trail of their commercial terms."""
