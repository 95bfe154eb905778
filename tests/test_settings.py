"""Settings from the environment: every duration takes seconds or ISO 8601, as README says."""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from core.settings import Settings

DURATIONS = (
    "TEMPORAL_RETENTION",
    "JWT_TTL",
    "APPROVAL_REMINDER_AFTER",
    "APPROVAL_ESCALATION_AFTER",
    "APPROVAL_TIMEOUT",
    "PARTNER_ACCEPT_TIMEOUT",
    "PARTNER_SHIP_TIMEOUT",
    "PARTNER_DELIVER_TIMEOUT",
    "DUNNING_INTERVAL",
)


@pytest.mark.parametrize("variable", DURATIONS)
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7200", timedelta(hours=2)),
        (" 7200 ", timedelta(hours=2)),
        ("5400.5", timedelta(seconds=5400.5)),
        ("PT2H", timedelta(hours=2)),
        ("P3D", timedelta(days=3)),
        ("P1DT12H", timedelta(days=1, hours=12)),
    ],
)
def test_durations_take_seconds_or_iso_8601(monkeypatch, variable, value, expected):
    monkeypatch.setenv(variable, value)
    assert getattr(Settings(), variable.lower()) == expected


def test_the_readme_example_works(monkeypatch):
    for variable, value in (("APPROVAL_REMINDER_AFTER", "30"), ("APPROVAL_ESCALATION_AFTER", "60")):
        monkeypatch.setenv(variable, value)
    s = Settings()
    assert (s.approval_reminder_after, s.approval_escalation_after) == (timedelta(seconds=30), timedelta(seconds=60))


def test_retention_defaults_to_30_days_and_refuses_less_than_an_hour(monkeypatch):
    monkeypatch.delenv("TEMPORAL_RETENTION", raising=False)
    assert Settings(_env_file=None).temporal_retention == timedelta(days=30)
    assert Settings(temporal_retention="3600").temporal_retention == timedelta(hours=1)
    for too_short in ("3599", "PT30M", "P0D"):
        with pytest.raises(ValidationError, match="temporal_retention"):
            Settings(temporal_retention=too_short)


@pytest.mark.parametrize("value", ["soon", "720h", "-"])
def test_what_is_no_duration_is_refused(value):
    with pytest.raises(ValidationError):
        Settings(temporal_retention=value)
