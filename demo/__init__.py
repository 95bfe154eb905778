"""Demo data for `make run` and the tests. Demo passwords and secrets are for demos only."""
