"""ASGI middleware around every answer: request id, access log and latency metric, security headers,
CORS by path, a last-resort 500 in the common error shape, and the request body size limit.

Plain ASGI classes (no BaseHTTPMiddleware), so they add little latency and never buffer a response.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable
from typing import Final

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paycrypt.api.context import REQUEST_ID_HEADER, bind_request_id, new_request_id, unbind_request_id
from paycrypt.api.errors import error_response
from paycrypt.api.metrics import UNMATCHED_ROUTE, http_latency
from paycrypt.api.ratelimit import RateState

access_log = logging.getLogger("paycrypt.api.access")
log = logging.getLogger(__name__)

_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
SECURITY_HEADERS: Final = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    # The API serves JSON, CSV and TOML only: nothing may load, frame or submit anything.
    (
        "Content-Security-Policy",
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS: Final = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
EXPOSED_HEADERS: Final = (
    REQUEST_ID_HEADER,
    "Retry-After",
    "Location",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
)


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class RequestContextMiddleware:
    """Gives each request an id (X-Request-ID, in every log line), then logs and times its answer."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))
        scope.setdefault("state", {})["request_id"] = request_id
        token = bind_request_id(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            http_latency.labels(method, route_template(scope), str(status)).observe(elapsed)
            client = scope.get("client")
            # The path only: query strings are the caller's business and may carry personal data.
            access_log.info(
                "%s %s %d %.1fms client=%s",
                method,
                scope["path"][:200],
                status,
                elapsed * 1000,
                client[0] if client else "-",
            )
            unbind_request_id(token)


class SecurityHeadersMiddleware:
    """Security headers on every answer; HSTS only over HTTPS (directly, or from a trusted proxy)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name, value)
                headers.setdefault("Cache-Control", "no-store")
                if scope.get("scheme") == "https":
                    headers[HSTS[0]] = HSTS[1]
                state: RateState | None = scope.get("state", {}).get("rate_limit")
                if state is not None:
                    for name, value in state.headers().items():
                        headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class PathCORSMiddleware:
    """CORS for the one configured origin, except SEP-1/SEP-2 paths, which any origin may read."""

    def __init__(self, app: ASGIApp, *, origin: str, public_paths: Iterable[str]):
        self._public_paths = frozenset(public_paths)
        self._private = CORSMiddleware(
            app,
            allow_origins=[origin],
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", REQUEST_ID_HEADER],
            expose_headers=list(EXPOSED_HEADERS),
            max_age=600,
        )
        self._public = CORSMiddleware(
            app, allow_origins=["*"], allow_methods=["GET"], expose_headers=[REQUEST_ID_HEADER], max_age=3600
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self._public_paths:
            await self._public(scope, receive, send)
        else:
            await self._private(scope, receive, send)


class UnhandledErrorMiddleware:
    """The last resort: an unexpected exception becomes a 500 in the common shape; the trace is logged."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path", "")[:200])
            if not started:
                response = error_response(
                    500,
                    "internal_error",
                    "an internal error occurred; quote the request id when reporting it",
                )
                await response(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuses a request body over ``max_bytes`` with 413, by its Content-Length or as it streams in."""

    def __init__(self, app: ASGIApp, *, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.strip().isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # whatever the app made of the cut-off body is dropped; the 413 below goes out
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if exceeded and not started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "payload_too_large", f"the request body is larger than {self.max_bytes} bytes"
        )
        await response(scope, receive, send)
