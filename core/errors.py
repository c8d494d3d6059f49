"""The project's exception tree.

Every error that can reach a user carries a stable machine-readable ``code`` and a plain sentence.
Entry points (CLI, API, dashboard) render ``code`` and ``message``; stack traces stay in the logs.
"""

from __future__ import annotations

from typing import Any


class PayCryptError(Exception):
    """Root of every error PayCrypt raises on purpose."""

    code = "paycrypt_error"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details or {}

    def __str__(self) -> str:
        return self.message


class ConfigError(PayCryptError):
    """A setting is missing, malformed or unsafe; raised at start-up and names the variable."""

    code = "config_invalid"


class StorageError(PayCryptError):
    """The database could not be reached or answered with an error."""

    code = "storage_unavailable"


class MigrationError(PayCryptError):
    """A migration command could not do what was asked."""

    code = "migration_failed"


class ValidationError(PayCryptError):
    """Input that breaks a rule; ``field`` names the offending input where there is one."""

    code = "invalid_input"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message, code=code, details={"field": field} if field else None)
        self.field = field


class NotFoundError(PayCryptError):
    code = "not_found"


class ConflictError(PayCryptError):
    code = "conflict"


class PermissionDenied(PayCryptError):
    code = "forbidden"
