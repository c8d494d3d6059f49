"""The sandbox's Horizon-compatible HTTP API (Starlette), over a SandboxNode."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from paycrypt.sandbox import problems
from paycrypt.sandbox.faults import Fault, FaultError
from paycrypt.sandbox.fee_stats import fee_stats_view
from paycrypt.sandbox.history import page
from paycrypt.sandbox.horizon_views import (
    account_view,
    ledger_view,
    payment_view,
    timestamp,
    transaction_view,
)
from paycrypt.sandbox.http_submit import ConnectionControl, submit_async_handler, submit_handler
from paycrypt.sandbox.ledger import PROTOCOL_VERSION
from paycrypt.sandbox.node import AlreadyFunded, SandboxNode
from paycrypt.sandbox.paging import BadPageQuery, page_body, parse_page_query
from paycrypt.sandbox.records import TransactionRecord

HORIZON_VERSION: Final = "paycrypt-sandbox-0.1"


def build_app(node: SandboxNode) -> ConnectionControl:
    """The ASGI app; admin routes under /_sandbox/ exist only when the node's config turns them on."""
    handlers = _Handlers(node)
    routes = [
        Route("/", handlers.root),
        Route("/accounts/{account_id}", handlers.account),
        Route("/accounts/{account_id}/payments", handlers.account_payments),
        Route("/accounts/{account_id}/transactions", handlers.account_transactions),
        Route("/transactions", submit_handler(node), methods=["POST"]),
        Route("/transactions", handlers.transactions, methods=["GET"]),
        Route("/transactions_async", submit_async_handler(node), methods=["POST"]),
        Route("/transactions/{tx_hash}", handlers.transaction),
        Route("/ledgers", handlers.ledgers),
        Route("/ledgers/{sequence:int}", handlers.ledger_by_sequence),
        Route("/fee_stats", handlers.fee_stats),
        Route("/friendbot", handlers.friendbot, methods=["GET", "POST"]),
    ]
    if node.config.admin:
        admin = _Admin(node)
        routes += [
            Route("/_sandbox/close", admin.close, methods=["POST"]),
            Route("/_sandbox/faults", admin.faults, methods=["GET", "POST", "DELETE"]),
        ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await node.start()
        try:
            yield
        finally:
            await node.stop()

    async def missing(_request: Request, _exc: Exception) -> Response:
        return problems.not_found()

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: missing})
    return ConnectionControl(app)


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class _Handlers:
    def __init__(self, node: SandboxNode) -> None:
        self.node = node
        self.ledger = node.ledger

    async def root(self, request: Request) -> Response:
        with self.node.lock:
            latest = self.ledger.latest
        return JSONResponse(
            {
                "_links": {
                    "account": {"href": f"{_base_url(request)}/accounts/{{account_id}}", "templated": True}
                },
                "horizon_version": HORIZON_VERSION,
                "core_version": "paycrypt-sandbox (in-process ledger)",
                "ingest_latest_ledger": latest.sequence,
                "history_latest_ledger": latest.sequence,
                "history_latest_ledger_closed_at": timestamp(latest.closed_at),
                "history_elder_ledger": 1,
                "core_latest_ledger": latest.sequence,
                "network_passphrase": self.ledger.passphrase,
                "current_protocol_version": PROTOCOL_VERSION,
                "supported_protocol_version": PROTOCOL_VERSION,
                "core_supported_protocol_version": PROTOCOL_VERSION,
            }
        )

    async def account(self, request: Request) -> Response:
        with self.node.lock:
            account = self.ledger.account(request.path_params["account_id"])
            body = account_view(account, _base_url(request)) if account is not None else None
        return JSONResponse(body) if body is not None else problems.not_found()

    async def account_payments(self, request: Request) -> Response:
        account_id = request.path_params["account_id"]
        try:
            query = parse_page_query(request.query_params)
        except BadPageQuery as err:
            return problems.bad_request(str(err))
        base = _base_url(request)
        with self.node.lock:
            records = page(self.ledger.history.payments_of(account_id), query)
        return JSONResponse(
            page_body(records, query, lambda p: payment_view(p, base), f"{base}{request.url.path}")
        )

    async def account_transactions(self, request: Request) -> Response:
        with self.node.lock:
            records = self.ledger.history.transactions_of(request.path_params["account_id"])
        return self._transaction_page(request, records)

    async def transactions(self, request: Request) -> Response:
        return self._transaction_page(request, self.ledger.history.all_transactions)

    def _transaction_page(self, request: Request, records: list[TransactionRecord]) -> Response:
        try:
            query = parse_page_query(request.query_params)
        except BadPageQuery as err:
            return problems.bad_request(str(err))
        include_failed = request.query_params.get("include_failed", "false").lower() == "true"
        keep = None if include_failed else _successful
        base = _base_url(request)
        with self.node.lock:
            chosen = page(records, query, keep)
        extra = {"include_failed": "true"} if include_failed else None
        body = page_body(
            chosen, query, lambda tx: transaction_view(tx, base), f"{base}{request.url.path}", extra
        )
        return JSONResponse(body)

    async def transaction(self, request: Request) -> Response:
        tx_hash = request.path_params["tx_hash"].lower()
        with self.node.lock:
            record = self.ledger.transaction(tx_hash)
        return JSONResponse(transaction_view(record, _base_url(request))) if record else problems.not_found()

    async def ledgers(self, request: Request) -> Response:
        try:
            query = parse_page_query(request.query_params)
        except BadPageQuery as err:
            return problems.bad_request(str(err))
        base = _base_url(request)
        with self.node.lock:
            records = page(self.ledger.history.ledgers, query)
        return JSONResponse(page_body(records, query, lambda lr: ledger_view(lr, base), f"{base}/ledgers"))

    async def ledger_by_sequence(self, request: Request) -> Response:
        with self.node.lock:
            record = self.ledger.history.ledger(request.path_params["sequence"])
        return JSONResponse(ledger_view(record, _base_url(request))) if record else problems.not_found()

    async def fee_stats(self, _request: Request) -> Response:
        with self.node.lock:
            return JSONResponse(fee_stats_view(self.ledger.history))

    async def friendbot(self, request: Request) -> Response:
        address = request.query_params.get("addr", "")
        try:
            settlement = await self.node.fund(address)
        except ValueError as err:
            return problems.bad_request(str(err))
        except AlreadyFunded:
            return problems.bad_request(
                f"friendbot: the account {address} already exists (op_already_exists)"
            )
        except (TimeoutError, RuntimeError) as err:
            return problems.problem("transaction_submission_timeout", 504, f"friendbot: {err}", {})
        if isinstance(settlement, TransactionRecord):
            if settlement.successful:
                return JSONResponse(transaction_view(settlement, _base_url(request)))
            return problems.transaction_failed_stored(
                settlement.envelope_xdr, settlement.result_xdr, settlement.result_codes, settlement.hash
            )
        return problems.transaction_failed("", settlement)


def _successful(tx: TransactionRecord) -> bool:
    return tx.successful


class _Admin:
    """Test controls: close a ledger now; inject faults into the next submissions."""

    def __init__(self, node: SandboxNode) -> None:
        self.node = node

    async def close(self, request: Request) -> Response:
        ledger = await self.node.close_ledger()
        return JSONResponse(ledger_view(ledger, _base_url(request)))

    async def faults(self, request: Request) -> Response:
        plan = self.node.faults
        if request.method == "POST":
            try:
                body: Any = json.loads(await request.body() or b"{}")
                fault = Fault.from_json(body if isinstance(body, dict) else {})
            except (FaultError, ValueError) as err:
                return problems.bad_request(str(err))
            plan.add(fault.kind, fault.count, seconds=fault.seconds, retry_after=fault.retry_after)
        elif request.method == "DELETE":
            plan.clear()
        return JSONResponse(
            {"pending": [fault.to_json() for fault in plan.pending()], "injected": plan.injected}
        )
