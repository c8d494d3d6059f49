"""What every route module shares: documented error responses."""

from __future__ import annotations

from typing import Any, Final

from paycrypt.api.schemas import ErrorResponse

_DESCRIPTIONS: Final = {
    400: "Malformed request (e.g. a body that is not JSON)",
    401: "Missing, expired or invalid token",
    403: "The token lacks the scope or role, or may not act for this tag",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Request body too large",
    422: "Invalid input; error.field names it",
    429: "Rate limited; see Retry-After",
    500: "Internal error",
    502: "Horizon or a federation server answered with an error",
    503: "A dependency (database, Horizon) is unavailable",
}
COMMON: Final = (400, 413, 422, 429, 500, 503)
AUTH: Final = (401, 403)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entries for these statuses, all in the common error shape."""
    return {status: {"model": ErrorResponse, "description": _DESCRIPTIONS[status]} for status in statuses}
