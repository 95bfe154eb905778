"""The customer tree stays a tree: A put under B and B under A at the same moment cannot both
pass the cycle check (SQLite and PostgreSQL, tests/dbs.py)."""

import threading

from core.database import session_scope
from core.errors import Invalid
from customers import service as customers
from customers.tables import Customer
from models.actors import Actor
from models.customers import CustomerPatch

ADMIN = Actor(id="admin@seller.example", roles=["admin"])
ROUNDS = 5


def test_two_customers_put_under_each_other_at_once_leave_a_tree(db):
    for round_ in range(ROUNDS):
        pair = [f"tree-{round_}-a", f"tree-{round_}-b"]
        with session_scope(db, write_lock=True) as session:
            for customer_id in pair:
                session.add(Customer(id=customer_id, name=customer_id))
        barrier, results = threading.Barrier(2), [None, None]

        def run(index: int, pair=pair, barrier=barrier, results=results) -> None:
            patch = CustomerPatch(parent_id=pair[1 - index])
            barrier.wait()
            try:
                results[index] = customers.update_customer(db, ADMIN, pair[index], patch)
            except Exception as exc:  # noqa: BLE001 - asserted below
                results[index] = exc

        threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len([r for r in results if isinstance(r, Invalid)]) == 1, results
        with session_scope(db) as session:
            parents = [session.get(Customer, c).parent_id for c in pair]
        assert parents.count(None) == 1, parents  # one is under the other, not both
