"""What Horizon's HTTP answers mean, shared by every client that talks to it (sync and async).

:func:`horizon_error` is the one place that maps sdk exceptions (and so HTTP statuses) to PayCrypt codes.
"""

from __future__ import annotations

import os
import re
from typing import Final
from urllib.parse import quote_plus

from stellar_sdk.exceptions import (
    BadRequestError,
    BadResponseError,
    BaseHorizonError,
    ConnectionError,
    NotFoundError,
    SdkError,
)

from paycrypt.core.horizon import HorizonError

_BASE64: Final = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_FORM_ESCAPES: Final = str.maketrans({"+": "%2B", "/": "%2F", "=": "%3D"})


def horizon_error(err: Exception, *, doing: str) -> HorizonError:
    """The one mapping from stellar-sdk exceptions (and so HTTP statuses) to PayCrypt errors."""
    if isinstance(err, HorizonError):
        return err
    if isinstance(err, ConnectionError):
        return HorizonError(
            f"{doing}: Horizon is unreachable or timed out", code="horizon_unreachable", retriable=True
        )
    if isinstance(err, BaseHorizonError):
        status = err.status
        extras = err.extras or {}
        result_codes = extras.get("result_codes") or {}
        detail = (err.detail or err.title or "").strip()
        said = f" ({detail})" if detail else ""
        if isinstance(err, NotFoundError):
            return HorizonError(f"{doing}: not found{said}", code="horizon_not_found", status=status)
        if status == 429:
            return HorizonError(
                f"{doing}: rate limited by Horizon",
                code="horizon_rate_limited",
                status=status,
                retriable=True,
            )
        if status == 504:
            return HorizonError(
                f"{doing}: Horizon timed out{said}", code="horizon_timeout", status=status, retriable=True
            )
        if status == 503:
            return HorizonError(
                f"{doing}: Horizon is unavailable{said}",
                code="horizon_unavailable",
                status=status,
                retriable=True,
            )
        if isinstance(err, BadResponseError):
            return HorizonError(
                f"{doing}: Horizon failed{said}", code="horizon_server_error", status=status, retriable=True
            )
        if isinstance(err, BadRequestError):
            return HorizonError(
                f"{doing}: Horizon refused the request{said}",
                code="horizon_bad_request",
                status=status,
                result_codes=result_codes,
            )
        return HorizonError(f"{doing}: unexpected answer from Horizon (HTTP {status})", status=status)
    if isinstance(err, SdkError | ValueError | KeyError):
        return HorizonError(
            f"{doing}: unreadable answer from Horizon ({type(err).__name__})", code="horizon_bad_answer"
        )
    return HorizonError(f"{doing}: {type(err).__name__}")


def form_body(envelope_xdr: str) -> str:
    """``tx=<envelope>`` form-encoded. Base64 needs only three characters escaped; urlencode walks every
    byte."""
    if _BASE64.fullmatch(envelope_xdr):
        return "tx=" + envelope_xdr.translate(_FORM_ESCAPES)
    return "tx=" + quote_plus(envelope_xdr)


def ca_bundle() -> str | None:
    """The CA bundle the environment names for HTTP clients (as requests reads it), if any."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None
