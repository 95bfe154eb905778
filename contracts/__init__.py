"""Framework contracts: terms, items, the contract in force, call-off consumption, order limits and monthly spend."""
