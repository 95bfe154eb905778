"""Refusals the services and the domain raise, in words a caller can act on; `field` names the
input at fault. The API answers each kind with its status (api/problems.py: 404, 403, 409, 410,
422, 503), the pages show the message, the CLI prints it; no layer above needs to know which concept
refused."""


class DomainError(Exception):
    """A refusal: the message says why."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    """It does not exist, or the caller may not know that it does."""


class Forbidden(DomainError):
    """The caller may not do this."""


class Conflict(DomainError):
    """Not now: the state of things does not allow it (another import runs, it was published...)."""


class Invalid(DomainError):
    """The input breaks a rule."""


class Gone(DomainError):
    """It existed but is no more to be had: a used or expired one-time link."""


class Unavailable(DomainError):
    """A service it needs (Temporal) is unreachable: try again."""


class TooManyRequests(DomainError):
    """Too many attempts lately (failed sign-ins): try again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
