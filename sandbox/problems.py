"""Horizon's problem+json errors: `type` https://stellar.org/horizon-errors/<slug>, title, status, detail."""

from __future__ import annotations

from typing import Any, Final

from starlette.responses import JSONResponse

from paycrypt.sandbox.results import TransactionOutcome

_TYPE_PREFIX: Final = "https://stellar.org/horizon-errors/"
_TITLES: Final = {
    "bad_request": "Bad Request",
    "not_found": "Resource Missing",
    "transaction_failed": "Transaction Failed",
    "transaction_malformed": "Transaction Malformed",
    "transaction_submission_timeout": "Transaction Submission Timeout",
    "rate_limit_exceeded": "Rate Limit Exceeded",
    "stale_history": "Historical DB Is Too Stale",
}


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"


def problem(
    slug: str,
    status: int,
    detail: str,
    extras: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": _TYPE_PREFIX + slug,
        "title": _TITLES[slug],
        "status": status,
        "detail": detail,
    }
    if extras is not None:
        body["extras"] = extras
    return ProblemResponse(body, status_code=status, headers=headers)


def not_found(detail: str = "The resource at the url requested was not found.") -> ProblemResponse:
    return problem("not_found", 404, detail)


def bad_request(detail: str) -> ProblemResponse:
    return problem("bad_request", 400, detail)


def transaction_failed(envelope_xdr: str, outcome: TransactionOutcome, tx_hash: str = "") -> ProblemResponse:
    extras: dict[str, Any] = {
        "envelope_xdr": envelope_xdr,
        "result_codes": outcome.result_codes(),
        "result_xdr": outcome.result_xdr(),
    }
    if tx_hash:
        extras["hash"] = tx_hash
    return problem(
        "transaction_failed",
        400,
        "The transaction failed when submitted to the stellar network. "
        "The `extras.result_codes` field on this response contains further details.",
        extras,
    )


def transaction_failed_stored(
    envelope_xdr: str, result_xdr: str, result_codes: dict[str, object], tx_hash: str
) -> ProblemResponse:
    """A failed transaction already in a ledger, answered again from its stored result."""
    extras = {
        "envelope_xdr": envelope_xdr,
        "result_codes": result_codes,
        "result_xdr": result_xdr,
        "hash": tx_hash,
    }
    return problem(
        "transaction_failed", 400, "The transaction failed in the ledger; see `extras.result_codes`.", extras
    )


def transaction_malformed(envelope_xdr: str, detail: str) -> ProblemResponse:
    return problem(
        "transaction_malformed",
        400,
        f"Horizon could not decode the transaction envelope: {detail}",
        {"envelope_xdr": envelope_xdr},
    )


def submission_timeout(tx_hash: str, envelope_xdr: str) -> ProblemResponse:
    return problem(
        "transaction_submission_timeout",
        504,
        "Your transaction submission request has timed out. "
        "This does not necessarily mean the submission has failed. "
        "Before resubmitting, please use the transaction hash provided in `extras.hash` "
        "to poll the GET /transactions endpoint and check if it was included in a ledger.",
        {"hash": tx_hash, "envelope_xdr": envelope_xdr},
    )


def rate_limited(retry_after: int) -> ProblemResponse:
    headers = {
        "Retry-After": str(retry_after),
        "X-RateLimit-Limit": "3600",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(retry_after),
    }
    return problem(
        "rate_limit_exceeded",
        429,
        "The rate limit for the requesting IP address is over its alloted limit.",
        headers=headers,
    )


def unavailable() -> ProblemResponse:
    return problem(
        "stale_history", 503, "The sandbox is not taking submissions right now (an injected fault)."
    )
