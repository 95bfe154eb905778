"""The error type a validator gives an update it refuses (the API answers it with 409): shared by
the order's message handlers and the phases they delegate to."""

CONFLICT = "Conflict"
