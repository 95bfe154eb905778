"""Configurable items: the problems a buyer is told about, with options and constraints as stored
in the database (JSON columns) on SQLite and PostgreSQL."""

from catalog.configuration import configuration_problems
from catalog.tables import Item
from core.database import session_scope


def problems(db, sku: str, configuration: dict[str, str]) -> list[str]:
    with session_scope(db) as session:
        return configuration_problems(session.get(Item, sku), configuration)


def test_options_and_constraints_survive_the_database(db):
    with session_scope(db) as session:
        item = session.get(Item, "SW-24-PRO")
        assert item.options == {"hw_version": ["A1", "B2"], "sw_version": ["7.2", "8.0"]}
        assert item.constraints[0]["when"] == {"hw_version": "A1", "sw_version": "8.0"}


def test_a_valid_configuration_has_no_problems(db):
    for hw, sw in (("A1", "7.2"), ("B2", "7.2"), ("B2", "8.0")):
        assert problems(db, "SW-24-PRO", {"hw_version": hw, "sw_version": sw}) == []
    assert problems(db, "CBL-CAT6-5M", {}) == []


def test_every_missing_option_is_named(db):
    assert problems(db, "SW-24-PRO", {}) == [
        "SW-24-PRO needs a value for 'hw_version' (one of A1, B2)",
        "SW-24-PRO needs a value for 'sw_version' (one of 7.2, 8.0)",
    ]


def test_unknown_values_and_unknown_options(db):
    assert problems(db, "SW-24-PRO", {"hw_version": "C3", "sw_version": "7.2", "colour": "red"}) == [
        "SW-24-PRO has no hw_version 'C3' (one of A1, B2)",
        "SW-24-PRO has no option 'colour'",
    ]


def test_incompatible_combination(db):
    assert problems(db, "SW-24-PRO", {"hw_version": "A1", "sw_version": "8.0"}) == [
        "SW-24-PRO cannot be delivered as configured: hardware version A1 does not support software version 8.0"
    ]


def test_options_on_an_item_that_is_not_configurable(db):
    assert problems(db, "CBL-CAT6-5M", {"length": "10m", "colour": "red"}) == [
        "CBL-CAT6-5M is not configurable, but options were given: colour, length"
    ]
