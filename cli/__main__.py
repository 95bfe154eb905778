"""`python -m cli ...` is the `order2cash` command."""

from cli.app import app

app()
