"""Where the worker may send what a URL typed into a form names (core/outbound.py)."""

import pytest

from core.outbound import refusal_when_saved, refusal_when_used


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://0.0.0.0:8000/",
        "http://224.0.0.1/",
        "http://[::ffff:169.254.169.254]/",
    ],
)
def test_link_local_multicast_and_unspecified_addresses_are_never_targets(url):
    assert refusal_when_saved(url)
    assert refusal_when_used(url, allow_internal=True)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9000/hook", "http://localhost/hook", "http://10.1.2.3/", "http://[::1]/", "http://192.168.0.7/"],
)
def test_the_internal_network_only_when_allowed(url):
    assert refusal_when_saved(url) is None  # a name may resolve elsewhere later: checked when used
    assert "WEBHOOK_ALLOW_INTERNAL_TARGETS" in refusal_when_used(url, allow_internal=False)
    assert refusal_when_used(url, allow_internal=True) is None


def test_public_addresses_and_names_that_do_not_resolve_pass():
    assert refusal_when_used("https://93.184.215.14/hook", allow_internal=False) is None
    # no answer from DNS is left to the HTTP call, which fails and is retried
    assert refusal_when_used("https://no-such-host.invalid/hook", allow_internal=False) is None
