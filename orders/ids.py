"""Order ids: one order per customer and Idempotency-Key, whatever the retries."""

import hashlib
import json
import secrets
from typing import Any

ORDER_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def new_order_id(customer_id: str, idempotency_key: str | None) -> str:
    """Same customer + same Idempotency-Key = same order id = same workflow id: one order."""
    if idempotency_key is None:
        raw = secrets.token_bytes(8)
    else:
        raw = hashlib.sha256(f"{customer_id}\x00{idempotency_key}".encode()).digest()[:8]
    number = int.from_bytes(raw, "big")
    chars = "".join(ORDER_ID_ALPHABET[(number >> (5 * i)) & 31] for i in range(12))
    return f"O-{chars}"


def request_fingerprint(payload: dict[str, Any]) -> str:
    """The request as placed: the same Idempotency-Key with another body is another order (refused)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
