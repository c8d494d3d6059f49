"""The request id of the request being served, for answers and for every log line written meanwhile."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Final

REQUEST_ID_HEADER: Final = "X-Request-ID"
_NO_REQUEST: Final = "-"
# A caller's own id is kept when it is short and plain, so it can be followed across services.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:\-]{8,64}", re.ASCII)

_request_id: ContextVar[str] = ContextVar("paycrypt_request_id", default=_NO_REQUEST)


def current_request_id() -> str:
    return _request_id.get()


def new_request_id(offered: str | None) -> str:
    """The caller's X-Request-ID when it is acceptable, else a fresh one."""
    if offered and _ACCEPTABLE_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def bind_request_id(request_id: str) -> object:
    return _request_id.set(request_id)


def unbind_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every log record as ``request_id`` ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


LOG_FORMAT: Final = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def install_request_id_logging() -> None:
    """Adds the request id to every line the root handlers write (after core's configure_logging)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            # First, so the redacting filter that follows sees the finished record.
            handler.filters.insert(0, RequestIdFilter())
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
