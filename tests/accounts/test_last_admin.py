"""The last active administrator stays: two administrators taken away at the same moment cannot
both find "another one left" (SQLite and PostgreSQL, tests/dbs.py)."""

import threading

from sqlalchemy import select

from accounts import service as accounts
from accounts.passwords import hash_password
from accounts.tables import User
from core.database import session_scope
from core.errors import Conflict
from models.actors import Actor
from models.users import UserPatch

ROUNDS = 5


def test_two_administrators_taken_away_at_once_leave_one(db):
    with session_scope(db, write_lock=True) as session:  # only the race's two are administrators
        for user in session.execute(select(User)).scalars():
            user.active = user.active and "admin" not in user.roles
    for round_ in range(ROUNDS):
        pair = [f"admin-{round_}-{n}@seller.example" for n in (1, 2)]
        with session_scope(db, write_lock=True) as session:
            for email in pair:
                session.add(User(email=email, name=email, password_hash=hash_password("x" * 12), roles=["admin"]))
        changes = [UserPatch(roles=["expert"]), UserPatch(active=False)]
        barrier, results = threading.Barrier(2), [None, None]

        def run(index: int, pair=pair, changes=changes, barrier=barrier, results=results) -> None:
            actor = Actor(id=pair[1 - index], roles=["admin"])
            barrier.wait()
            try:
                results[index] = accounts.update_user(db, actor, pair[index], changes[index])
            except Exception as exc:  # noqa: BLE001 - asserted below
                results[index] = exc

        threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        refused = [r for r in results if isinstance(r, Conflict)]
        assert len(refused) == 1, results  # one change went through, the other found no admin left
        with session_scope(db) as session:
            left = [u for u in (session.get(User, e) for e in pair) if u.active and "admin" in u.roles]
        assert len(left) == 1
        with session_scope(db, write_lock=True) as session:  # the next round's pair is on its own
            for email in pair:
                session.get(User, email).active = False
