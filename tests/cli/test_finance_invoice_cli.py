"""`order2cash finance credit-note | pause | resume | retry-invoice` on a running order of the
tests' system (Temporal dev server, worker, API): the commands reach the order's workflow as the
API does."""

import asyncio

import pytest
from typer.testing import CliRunner

from cli import app as cli
from core.settings import get_settings
from tests.api.flows import CABLES, SWITCH, deliver_all, order_until, place


@pytest.fixture
def run(api_settings, monkeypatch):
    """run(*args) -> the click Result of `order2cash ...` on the system's database and Temporal."""
    monkeypatch.setenv("DATABASE_URL", api_settings.database_url)
    monkeypatch.setenv("TEMPORAL_ADDRESS", api_settings.temporal_address)
    get_settings.cache_clear()  # cached: it would keep another test's URLs
    runner = CliRunner()

    async def invoke(*args: str):
        # the commands run their own event loop: in a thread, while this one runs the worker
        result = await asyncio.to_thread(runner.invoke, cli.app, list(args), env={"COLUMNS": "200"})
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    yield invoke
    get_settings.cache_clear()


async def invoiced(http, login) -> tuple[dict, dict]:
    headers = await login("buyer@acme.example")
    order_id = (await place(http, headers, SWITCH, CABLES)).json()["order_id"]
    doc = await order_until(http, headers, order_id, lambda d: len(d["suborders"]) == 2)
    await deliver_all(http, doc)
    return headers, await order_until(http, headers, order_id, lambda d: d["status"] == "INVOICED")


async def test_credit_note_pause_resume_and_retry_from_the_command_line(run, http, login):
    headers, doc = await invoiced(http, login)
    order_id, invoice_id = doc["order_id"], doc["invoices"][0]["invoice_id"]
    cables = next(line["line_no"] for line in doc["lines"] if line["sku"] == "CBL-CAT6-5M")

    bad = await run("finance", "credit-note", invoice_id, "--line", f"{cables}:x", "--reason", "r")
    assert bad.exit_code == 1 and "LINE_NO[:PIECES][@PRICE_REDUCTION]" in bad.output
    too_many = await run("finance", "credit-note", invoice_id, "--line", f"{cables}:11", "--reason", "r")
    assert too_many.exit_code == 1 and f"line {cables} invoiced 10 piece(s), not 11" in too_many.output
    note = await run(
        "finance", "credit-note", invoice_id, "--line", f"{cables}:2", "--reason", "2 returned", "--key", "k1"
    )
    assert note.exit_code == 0, note.output
    assert "10.00 EUR gross" in note.output  # 2 x 4.20 net + 19 % VAT
    again = await run(
        "finance", "credit-note", invoice_id, "--line", f"{cables}:2", "--reason", "2 returned", "--key", "k1"
    )
    assert again.exit_code == 0 and again.output == note.output  # the same key: the same credit note
    invoice = (await http.get(f"/api/v1/invoices/{invoice_id}", headers=headers)).json()
    assert invoice["credited_total"] == "10.00" and len(invoice["credit_notes"]) == 1
    await order_until(http, headers, order_id, lambda d: any(e["event"] == "credit_note.issued" for e in d["timeline"]))

    paused = await run("finance", "pause", invoice_id, "--reason", "dispute")
    assert paused.exit_code == 0 and f"order {order_id}: INVOICED, dunning paused" in paused.output, paused.output
    twice = await run("finance", "pause", invoice_id, "--reason", "dispute")
    assert twice.exit_code == 1 and "paused already" in twice.output
    assert (await http.get(f"/api/v1/invoices/{invoice_id}", headers=headers)).json()["dunning_paused"] is True
    resumed = await run("finance", "resume", invoice_id)
    assert resumed.exit_code == 0 and "dunning resumed" in resumed.output

    nothing = await run("finance", "retry-invoice", order_id)
    assert nothing.exit_code == 1 and "no blocked invoice" in nothing.output
    unknown = await run("finance", "pause", "INV-nope", "--reason", "x")
    assert unknown.exit_code == 1 and "not found" in unknown.output
