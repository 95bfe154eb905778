"""Schemathesis hooks for tests/api/test_openapi_fuzz.py (loaded through SCHEMATHESIS_HOOKS).

Addresses the system would call out to (a supplier sync's `url`, a delivery unit's `webhook_url`)
are sent as a closed port on the loopback: the fuzzer must make the system fetch nothing beyond
this machine, whatever URL it generated. And the account the fuzzer signs in as (FUZZ_ACCOUNT) is
not the one it deactivates, demotes or resets (the token it sends would stop counting): the
fuzzer learns the users' e-mails from GET /api/v1/users and uses them as paths."""

import os
from typing import Any

import schemathesis

LOOPBACK = "http://127.0.0.1:9/fuzz"  # the discard port: nothing listens, the call fails at once
STAND_IN = "someone-else@fuzz.example"


def _tame(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: LOOPBACK if isinstance(key, str) and key.endswith("url") and isinstance(item, str) else _tame(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_tame(item) for item in value]
    return value


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    case.body = _tame(case.body)
    account = os.environ.get("FUZZ_ACCOUNT", "")
    if case.method != "GET" and isinstance(case.path_parameters, dict):
        for name, value in case.path_parameters.items():
            if isinstance(value, str) and value.lower() == account:
                case.path_parameters[name] = STAND_IN
