"""Configurable items: a configuration must name every option with an allowed value and must not
hit a constraint (a combination the catalog declares undeliverable)."""
from catalog.tables import Item


def configuration_problems(item: Item, configuration: dict[str, str]) -> list[str]:
    """Reasons, in words a buyer understands, why this configuration cannot be ordered."""
    problems: list[str] = []
    if not item.options:
        if configuration:
            problems.append(f"{item.sku} is not configurable, but options were given: {', '.join(sorted(configuration))}")
        return problems
    for name, allowed in item.options.items():
        if name not in configuration:
            problems.append(f"{item.sku} needs a value for '{name}' (one of {', '.join(allowed)})")
        elif configuration[name] not in allowed:
            problems.append(
                f"{item.sku} has no {name} '{configuration[name]}' (one of {', '.join(allowed)})"
            )
    for name in sorted(set(configuration) - set(item.options)):
        problems.append(f"{item.sku} has no option '{name}'")
    if problems:
        return problems
    for constraint in item.constraints:
        when = constraint.get("when", {})
        if constraint.get("type") == "incompatible" and all(configuration.get(k) == v for k, v in when.items()):
            problems.append(f"{item.sku} cannot be delivered as configured: {constraint['message']}")
    return problems
