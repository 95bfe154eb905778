from sqlmodel import Session

from accounts.passwords import hash_password, verify_password
from accounts.tables import User

# Spent on unknown e-mails too, so response time does not tell which accounts exist.
_DUMMY_HASH = hash_password("not-a-real-password")


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.get(User, email.strip().lower())
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None
