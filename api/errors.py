"""One error shape for every answer: ``{"error": {"code", "message", "request_id", ...}}``.

PayCrypt errors map to HTTP statuses in :func:`status_for` (the one place); validation errors name the
field; anything unexpected becomes a plain 500 with the request id, its trace only in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from paycrypt.api.context import current_request_id
from paycrypt.core.errors import (
    ConfigError,
    ConflictError,
    MigrationError,
    NotFoundError,
    PayCryptError,
    PermissionDenied,
    StorageError,
    ValidationError,
)
from paycrypt.core.federation import FederationError
from paycrypt.core.horizon import AccountNotFound, HorizonError
from paycrypt.core.limits import LimitExceeded
from paycrypt.core.secrets import redact

log = logging.getLogger(__name__)


class ApiError(PayCryptError):
    """An error the API itself raises, with its HTTP status and extra headers."""

    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        field: str | None = None,
    ):
        super().__init__(message, code=code)
        if status is not None:
            self.status = status
        self.headers = dict(headers or {})
        self.field = field


class Unauthorized(ApiError):
    code = "unauthorized"
    status = 401

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message, code=code, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class RateLimited(ApiError):
    code = "rate_limited"
    status = 429


# Statuses whose cause is on our side: the message is a fixed sentence, the detail stays in the log.
_SERVER_SIDE: Final = {
    502: "an upstream service (Horizon or a federation server) answered with an error; try again later",
    503: "a service this API depends on is unavailable; try again later",
    500: "an internal error occurred; quote the request id when reporting it",
}
_HTTP_CODES: Final = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def status_for(err: PayCryptError) -> int:
    """The HTTP status for a PayCrypt error: the one mapping of the API."""
    if isinstance(err, ApiError):
        return err.status
    if isinstance(err, AccountNotFound):
        return 404
    if isinstance(err, HorizonError):
        return 503 if err.retriable else 502
    if isinstance(err, FederationError):
        if err.code in ("federation_not_found", "federation_disabled"):
            return 404
        return 502
    if isinstance(err, StorageError):
        return 503
    if isinstance(err, ConfigError | MigrationError):
        return 500
    mapping: tuple[tuple[type[PayCryptError], int], ...] = (
        (ValidationError, 422),
        (LimitExceeded, 422),
        (NotFoundError, 404),
        (ConflictError, 409),
        (PermissionDenied, 403),
    )
    for kind, status in mapping:
        if isinstance(err, kind):
            return status
    return 422  # other deliberate refusals (insufficient balance, ...): the request cannot be done as asked


def error_body(
    code: str,
    message: str,
    *,
    field: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "request_id": current_request_id()}
    if field is not None:
        error["field"] = field
    if details:
        error["details"] = dict(details)
    return {"error": error}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, field=field, details=details),
        status_code=status,
        headers=dict(headers or {}),
    )


def render_paycrypt_error(err: PayCryptError, known_secrets: tuple[str, ...] = ()) -> JSONResponse:
    status = status_for(err)
    if status >= 500:
        log.warning("answered %d [%s]: %s", status, err.code, redact(err.message, known_secrets))
        message = _SERVER_SIDE.get(status, _SERVER_SIDE[500])
        code = err.code if status != 500 else "internal_error"
        return error_response(status, code, message)
    field = getattr(err, "field", None)
    headers = err.headers if isinstance(err, ApiError) else None
    return error_response(status, err.code, redact(err.message, known_secrets), field=field, headers=headers)


def _validation_field(loc: tuple[Any, ...]) -> str:
    """("body", "amount") -> "amount"; ("header", "idempotency-key") -> "Idempotency-Key"."""
    where, *rest = loc or ("body",)
    if not rest:
        return str(where)
    if where == "header":
        return "-".join(part.capitalize() for part in str(rest[0]).replace("_", "-").split("-"))
    return ".".join(str(part) for part in rest)


def render_validation_error(err: RequestValidationError) -> JSONResponse:
    errors = err.errors()
    first = errors[0] if errors else {"loc": ("body",), "msg": "invalid input", "type": "value_error"}
    field = _validation_field(tuple(first.get("loc", ())))
    if first.get("type") == "json_invalid":
        return error_response(400, "malformed_json", "the request body is not valid JSON", field="body")
    reason = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if first.get("type") == "missing":
        return error_response(422, "missing_field", f"{field} is required", field=field)
    return error_response(422, "invalid_input", f"{field}: {reason}", field=field)


def install_error_handlers(app: FastAPI, known_secrets: tuple[str, ...]) -> None:
    async def on_paycrypt_error(_request: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, PayCryptError)
        return render_paycrypt_error(err, known_secrets)

    async def on_validation_error(_request: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, RequestValidationError)
        return render_validation_error(err)

    async def on_http_error(_request: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, StarletteHTTPException)
        status = err.status_code
        code = _HTTP_CODES.get(status, "http_error")
        message = err.detail if isinstance(err.detail, str) and status < 500 else _SERVER_SIDE[500]
        if status == 404:
            message = "no such resource"
        elif status == 405:
            message = "this method is not allowed here"
        return error_response(status, code, message, headers=err.headers)

    app.add_exception_handler(PayCryptError, on_paycrypt_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
