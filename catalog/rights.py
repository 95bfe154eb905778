"""Role-based views and ordering rights: which items of its assortment a customer's user may SEE
and which they may ORDER. The catalog API (hides what may not be seen, marks what may not be
ordered) and order validation (rejects such lines) both ask `Rights.decide`; the SQL filter of
the catalog listing is generated from the same decisions, so the two cannot disagree.

Rules (`AssortmentRule`) are per customer and role, for every item ("all"), a category or one
SKU, with `may_see` and `may_order`. The semantics:

- The rules of the nearest customer up the tree that has rules apply (a subsidiary uses its
  parent's rules unless it has rules of its own).
- For each of the user's roles, the most specific matching rule counts: SKU before category
  before "all". A role without a matching rule abstains.
- No matching rule for any of the user's roles: the user may see and order the item.
- Otherwise the most permissive of the matching rules wins (rights add up over roles): the user
  may see the item if one of them allows seeing, and order it if one allows ordering. Ordering
  implies seeing: a rule that allows ordering but not seeing allows neither.
- Ordering also needs the role "buyer" (the order API and validation require it).

So the demo's technician (roles buyer, technician; technician: category services may_see only)
sees the services but cannot order them, while a plain buyer, whose role has no rule, orders
everything of the assortment.
"""

from dataclasses import dataclass

from sqlalchemy import and_, false, or_, select, true
from sqlmodel import Session, col

from catalog.tables import Item
from customers.rule_tables import ALL, CATEGORY, SKU, AssortmentRule
from customers.tree import nearest_owner

BUYER = "buyer"


@dataclass(frozen=True)
class Decision:
    may_see: bool
    may_order: bool
    reason: str | None = None  # why the user may not order (or see) the item


SEE_AND_ORDER = Decision(True, True)


def _target(rule: AssortmentRule, sku: str) -> str:
    if rule.scope == SKU:
        return sku
    if rule.scope == CATEGORY:
        return f"the category {rule.target}"
    return "any item"


def _roles(roles: list[str]) -> str:
    return f"your role{'s' if len(roles) > 1 else ''} {', '.join(roles)}"


class Rights:
    """A user's rights at a customer: their roles and the rules that apply to them."""

    def __init__(self, roles: list[str], rules: list[AssortmentRule]):
        self.roles = list(dict.fromkeys(roles))
        self.is_buyer = BUYER in self.roles
        self._rules: dict[str, dict[tuple[str, str], AssortmentRule]] = {}
        for rule in rules:
            if rule.role in self.roles:
                self._rules.setdefault(rule.role, {})[(rule.scope, rule.target)] = rule

    @property
    def has_rules(self) -> bool:
        return bool(self._rules)

    def decide(self, sku: str, category: str) -> Decision:
        """May the user see / order this item (of the customer's assortment)?"""
        matched: list[AssortmentRule] = []
        for role in self.roles:
            rules = self._rules.get(role)
            if not rules:
                continue
            rule = rules.get((SKU, sku)) or rules.get((CATEGORY, category)) or rules.get((ALL, ""))
            if rule is not None:
                matched.append(rule)
        may_see = not matched or any(r.may_see for r in matched)
        may_order = may_see and (not matched or any(r.may_order and r.may_see for r in matched))
        if not may_see:
            roles = [r.role for r in matched]
            return Decision(False, False, f"{_roles(roles)} may not see {_target(matched[0], sku)}")
        if not may_order:
            roles = [r.role for r in matched]
            return Decision(True, False, f"{_roles(roles)} may see but not order {_target(matched[0], sku)}")
        if not self.is_buyer:
            return Decision(True, False, "only a customer's buyers place orders")
        return SEE_AND_ORDER

    def visible_clause(self, session: Session):
        """A SQL condition on Item that holds exactly for the items `decide` lets the user see;
        None when every item is visible. Built from `decide` over the SKUs and categories the
        rules name (the SKUs' categories are looked up once)."""
        if not self._rules:
            return None
        named_skus = {t for rules in self._rules.values() for (s, t) in rules if s == SKU}
        named_categories = sorted({t for rules in self._rules.values() for (s, t) in rules if s == CATEGORY})
        sku_categories = (
            dict(
                session.execute(
                    select(col(Item.sku), col(Item.category)).where(col(Item.sku).in_(sorted(named_skus)))
                ).all()
            )
            if named_skus
            else {}
        )
        unnamed_sku = "\x00"  # a SKU no rule names: decisions then depend on the category only
        seen_skus = sorted(s for s, c in sku_categories.items() if self.decide(s, c).may_see)
        seen_categories = [c for c in named_categories if self.decide(unnamed_sku, c).may_see]
        # a category no rule names, for a SKU no rule names: only "all" rules can match
        default = self.decide(unnamed_sku, "\x00").may_see
        by_category = or_(
            col(Item.category).in_(seen_categories),
            and_(col(Item.category).not_in(named_categories), true() if default else false()),
        )
        if not sku_categories:
            return by_category
        return or_(col(Item.sku).in_(seen_skus), and_(col(Item.sku).not_in(sorted(sku_categories)), by_category))


def rules_for(session: Session, chain_ids: list[str], roles: list[str]) -> list[AssortmentRule]:
    """The rules of the nearest customer up the tree that has rules, for these roles."""
    if not chain_ids:
        return []
    owners = set(
        session.execute(
            select(col(AssortmentRule.customer_id)).where(col(AssortmentRule.customer_id).in_(chain_ids)).distinct()
        ).scalars()
    )
    owner = nearest_owner(chain_ids, owners)
    if owner is None or not roles:
        return []
    return list(
        session.execute(
            select(AssortmentRule).where(col(AssortmentRule.customer_id) == owner, col(AssortmentRule.role).in_(roles))
        ).scalars()
    )


def rights_for(session: Session, chain_ids: list[str], roles: list[str]) -> Rights:
    return Rights(roles, rules_for(session, chain_ids, roles))
