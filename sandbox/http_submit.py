"""POST /transactions and /transactions_async, with the injected faults applied before the answer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from paycrypt.sandbox import problems
from paycrypt.sandbox.faults import Fault, FaultKind
from paycrypt.sandbox.horizon_views import transaction_view
from paycrypt.sandbox.ledger import Admission, AdmissionStatus
from paycrypt.sandbox.node import SandboxNode, Submission, SubmissionKind

DROP_KEY: Final = "paycrypt.sandbox.drop_connection"
Handler = Callable[[Request], Awaitable[Response]]


async def envelope_from_form(request: Request) -> str | None:
    """The `tx` field of the url-encoded form stellar-sdk posts."""
    body = (await request.body()).decode("utf-8", errors="replace")
    values = parse_qs(body).get("tx")
    return values[0].strip() if values else None


def submission_response(submission: Submission, base_url: str) -> Response:
    if submission.kind is SubmissionKind.APPLIED:
        assert submission.record is not None
        record = submission.record
        if record.successful:
            return JSONResponse(transaction_view(record, base_url))
        return problems.transaction_failed_stored(
            record.envelope_xdr, record.result_xdr, record.result_codes, record.hash
        )
    if submission.kind is SubmissionKind.REJECTED:
        assert submission.outcome is not None
        return problems.transaction_failed(submission.envelope_xdr, submission.outcome)
    if submission.kind is SubmissionKind.MALFORMED:
        return problems.transaction_malformed(submission.envelope_xdr, submission.detail)
    return problems.submission_timeout(submission.hash, submission.envelope_xdr)


def submit_handler(node: SandboxNode) -> Handler:
    async def submit(request: Request) -> Response:
        envelope, fault, early = await _intake(request, node)
        if early is not None:
            return early
        assert envelope is not None
        submission = await node.submit_and_wait(envelope)
        if fault is not None and fault.kind is FaultKind.TIMEOUT_AFTER_APPLY:
            return problems.submission_timeout(submission.hash or node.hash_of(envelope), envelope)
        if fault is not None and fault.kind is FaultKind.DROP_AFTER_APPLY:
            return DropConnection()
        return submission_response(submission, str(request.base_url).rstrip("/"))

    return submit


def submit_async_handler(node: SandboxNode) -> Handler:
    async def submit_async(request: Request) -> Response:
        envelope, fault, early = await _intake(request, node)
        if early is not None:
            return early
        assert envelope is not None
        answer = node.submit_async(envelope)
        if fault is not None and fault.kind is FaultKind.TIMEOUT_AFTER_APPLY:
            return problems.submission_timeout(node.hash_of(envelope), envelope)
        if fault is not None and fault.kind is FaultKind.DROP_AFTER_APPLY:
            return DropConnection()
        return _async_response(answer)

    return submit_async


def _async_response(admission: Admission) -> Response:
    """Horizon's async answers: 201 PENDING, 409 DUPLICATE, 400 ERROR, 503 TRY_AGAIN_LATER."""
    status = admission.status
    if status is AdmissionStatus.MALFORMED:
        return problems.transaction_malformed(admission.envelope_xdr, admission.detail)
    if status is AdmissionStatus.REJECTED:
        assert admission.outcome is not None
        body = {
            "tx_status": "ERROR",
            "hash": admission.hash,
            "error_result_xdr": admission.outcome.result_xdr(),
        }
        return JSONResponse(body, status_code=400)
    if status is AdmissionStatus.PENDING:
        return JSONResponse({"tx_status": "PENDING", "hash": admission.hash}, status_code=201)
    if status is AdmissionStatus.TRY_AGAIN_LATER:
        return JSONResponse({"tx_status": "TRY_AGAIN_LATER", "hash": admission.hash}, status_code=503)
    # Queued already, or already in a ledger: either way this envelope is not taken a second time.
    return JSONResponse({"tx_status": "DUPLICATE", "hash": admission.hash}, status_code=409)


async def _intake(request: Request, node: SandboxNode) -> tuple[str | None, Fault | None, Response | None]:
    """Reads the envelope and takes the next fault; a response here (bad form, or a fault that answers
    before the ledger sees the transaction) ends the request."""
    envelope = await envelope_from_form(request)
    if not envelope:
        missing = problems.bad_request("the form field `tx` (a base64 transaction envelope) is missing")
        return None, None, missing
    fault = node.faults.take()
    early = await _fault_before(fault, node, envelope) if fault is not None else None
    return envelope, fault, early


async def _fault_before(fault: Fault, node: SandboxNode, envelope: str) -> Response | None:
    """The answer a fault gives before the ledger sees the transaction; None lets it through."""
    kind = fault.kind
    if kind is FaultKind.LATENCY:
        await asyncio.sleep(fault.seconds)
        return None
    if kind is FaultKind.UNAVAILABLE:
        return problems.unavailable()
    if kind is FaultKind.RATE_LIMITED:
        return problems.rate_limited(fault.retry_after)
    if kind is FaultKind.DROP_CONNECTION:
        return DropConnection()
    if kind is FaultKind.TIMEOUT_BEFORE_APPLY:
        await asyncio.sleep(fault.seconds)
        return problems.submission_timeout(node.hash_of(envelope), envelope)
    return None  # the *_AFTER_APPLY faults act once the ledger has taken the transaction


class DropConnection(Response):
    """Closes the client's connection without any answer, as a crashed proxy or a network cut would."""

    def __init__(self) -> None:
        super().__init__(status_code=500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        drop = scope.get(DROP_KEY)
        if drop is not None and drop():
            await asyncio.sleep(0.01)  # let the server notice the closed connection before we return
            return
        # No transport to close (not under uvicorn): promise a body and never send it.
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]})
        raise ConnectionAbortedError("sandbox fault: connection dropped")


class ConnectionControl:
    """Outermost ASGI layer: gives handlers a way to close the raw connection (uvicorn's transport)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[DROP_KEY] = lambda: _close_transport(send)
        await self.app(scope, receive, send)


def _close_transport(send: Send) -> bool:
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        return False
    transport.close()
    return True
