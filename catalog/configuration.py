"""Configurable items: a configuration must name every option with an allowed value and must not
break a constraint; option-dependent surcharges add to the unit price.

Options and constraints are data on the item (JSON columns), so a catalog manager changes them
without a deployment:

    options:     {"hw_version": ["A1", "B2"], "sw_version": ["7.2", "8.0"]}
    constraints: [
      {"type": "incompatible", "when": {"hw_version": "A1", "sw_version": "8.0"},
       "message": "hardware version A1 does not support software version 8.0"},
      {"type": "requires", "when": {"hw_version": "A1"}, "then": {"sw_version": ["7.2"]},
       "message": "hardware version A1 needs software version 7.2"},
      {"type": "surcharge", "when": {"sw_version": "8.0"}, "amount": "120.00",
       "message": "software 8.0 licence"},
    ]

- "incompatible": the combination in `when` cannot be delivered.
- "requires": when the configuration matches `when`, each option in `then` must have one of the
  listed values (a single value may be given as a string).
- "surcharge": when the configuration matches `when`, `amount` (per unit, in the contract's
  currency) is added to the unit price. An empty `when` always applies.

A broken constraint explains itself with its `message` (a sensible one is made up when the data
has none). `rule_errors` checks the data itself, for catalog managers.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from catalog.tables import Item

INCOMPATIBLE, REQUIRES, SURCHARGE = "incompatible", "requires", "surcharge"
TYPES = (INCOMPATIBLE, REQUIRES, SURCHARGE)


@dataclass(frozen=True)
class ConfigProblem:
    field: str  # "configuration" or "configuration.<option>"
    message: str


@dataclass(frozen=True)
class AppliedSurcharge:
    when: dict[str, str]
    amount: Decimal
    message: str


def _values(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _describe(condition: dict[str, Any]) -> str:
    return " and ".join(f"{name} {' or '.join(_values(value))}" for name, value in condition.items())


def _matches(when: dict[str, Any], configuration: dict[str, str]) -> bool:
    return all(configuration.get(name) in _values(value) for name, value in (when or {}).items())


def constraint_message(constraint: dict[str, Any]) -> str:
    if constraint.get("message"):
        return str(constraint["message"])
    when, kind = constraint.get("when", {}), constraint.get("type")
    if kind == INCOMPATIBLE:
        return f"{_describe(when)} cannot be combined"
    if kind == REQUIRES:
        return f"{_describe(when)} requires {_describe(constraint.get('then', {}))}"
    if kind == SURCHARGE:
        return f"surcharge for {_describe(when)}" if when else "surcharge"
    return str(kind)


def surcharge_amount(constraint: dict[str, Any]) -> Decimal:
    return Decimal(str(constraint.get("amount", "0")))


def check(item: Item, configuration: dict[str, str]) -> tuple[list[ConfigProblem], list[AppliedSurcharge]]:
    """The problems of this configuration (in words a buyer understands) and, when there are
    none, the surcharges it incurs."""
    problems: list[ConfigProblem] = []
    options = item.options or {}
    if not options:
        if configuration:
            problems.append(
                ConfigProblem(
                    "configuration",
                    f"{item.sku} is not configurable, but options were given: {', '.join(sorted(configuration))}",
                )
            )
        return problems, []
    for name, allowed in options.items():
        if name not in configuration:
            problems.append(
                ConfigProblem(
                    f"configuration.{name}", f"{item.sku} needs a value for '{name}' (one of {', '.join(allowed)})"
                )
            )
        elif configuration[name] not in allowed:
            problems.append(
                ConfigProblem(
                    f"configuration.{name}",
                    f"{item.sku} has no {name} '{configuration[name]}' (one of {', '.join(allowed)})",
                )
            )
    for name in sorted(set(configuration) - set(options)):
        problems.append(ConfigProblem(f"configuration.{name}", f"{item.sku} has no option '{name}'"))
    if problems:
        return problems, []
    surcharges: list[AppliedSurcharge] = []
    for constraint in item.constraints or []:
        kind, when = constraint.get("type"), constraint.get("when") or {}
        if not _matches(when, configuration):
            continue
        if kind == INCOMPATIBLE or (kind == REQUIRES and not _matches(constraint.get("then") or {}, configuration)):
            problems.append(
                ConfigProblem(
                    "configuration", f"{item.sku} cannot be delivered as configured: {constraint_message(constraint)}"
                )
            )
        elif kind == SURCHARGE:
            surcharges.append(
                AppliedSurcharge(
                    {k: str(v) for k, v in when.items()}, surcharge_amount(constraint), constraint_message(constraint)
                )
            )
    return problems, [] if problems else surcharges


def configuration_problems(item: Item, configuration: dict[str, str]) -> list[str]:
    """Reasons, in words a buyer understands, why this configuration cannot be ordered."""
    return [problem.message for problem in check(item, configuration)[0]]


def surcharges(item: Item, configuration: dict[str, str]) -> list[AppliedSurcharge]:
    """The surcharges of a valid configuration (none for an invalid one)."""
    return check(item, configuration)[1]


def rule_errors(options: dict[str, list[str]], constraints: list[dict[str, Any]]) -> list[str]:
    """Mistakes in an item's configuration data: unknown constraint types, options or values,
    surcharges without a valid amount. A catalog manager fixes these before publishing."""
    errors: list[str] = []

    def condition(index: int, key: str, cond: Any) -> None:
        if not isinstance(cond, dict):
            errors.append(f"constraint {index}: '{key}' must be an object of option: value")
            return
        for name, value in cond.items():
            if name not in options:
                errors.append(f"constraint {index}: unknown option '{name}' in '{key}'")
                continue
            for v in _values(value):
                if v not in options[name]:
                    errors.append(f"constraint {index}: {name} has no value '{v}' (in '{key}')")

    for index, constraint in enumerate(constraints):
        kind = constraint.get("type") if isinstance(constraint, dict) else None
        if kind not in TYPES:
            errors.append(f"constraint {index}: unknown type {kind!r} (one of {', '.join(TYPES)})")
            continue
        condition(index, "when", constraint.get("when", {}))
        if kind == REQUIRES:
            if not constraint.get("then"):
                errors.append(f"constraint {index}: 'requires' needs 'then'")
            else:
                condition(index, "then", constraint["then"])
        if kind == SURCHARGE:
            try:
                amount = surcharge_amount(constraint)
            except (InvalidOperation, ValueError):
                errors.append(f"constraint {index}: amount {constraint.get('amount')!r} is not a number")
                continue
            if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
                errors.append(f"constraint {index}: amount {constraint.get('amount')!r} is not an amount in cents")
    return errors
