"""ASGI middleware around every answer: request id, access log and latency metric, security headers,
CORS by path, a last-resort 500 in the common error shape, and the request body size limit.

Two plain ASGI classes (no BaseHTTPMiddleware), so they add little latency and never buffer a response:
`EdgeMiddleware` outside (what every answer carries, whichever layer made it) and `GuardMiddleware` inside
(the 500 and the 413), with Starlette's CORS middleware between them for requests that name an Origin.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable
from typing import Final

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paycrypt.api.access import AccessRecorder
from paycrypt.api.context import REQUEST_ID_HEADER, bind_request_id, new_request_id, unbind_request_id
from paycrypt.api.errors import error_response
from paycrypt.api.ratelimit import RateState

log = logging.getLogger(__name__)

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
DEFAULT_CACHE_CONTROL: Final = ("Cache-Control", "no-store")
HSTS: Final = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
EXPOSED_HEADERS: Final = (
    REQUEST_ID_HEADER,
    "Retry-After",
    "Location",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
)

RawHeaders = list[tuple[bytes, bytes]]


def raw_header(name: str, value: str) -> tuple[bytes, bytes]:
    """A header as ASGI carries it: the lower-case name and the value, both bytes."""
    return name.lower().encode("latin-1"), value.encode("latin-1")


# Encoded once. An answer gets each of these unless it set its own (a route may choose its Cache-Control).
_DEFAULTS: Final = tuple(raw_header(*header) for header in (*SECURITY_HEADERS, DEFAULT_CACHE_CONTROL))
_DEFAULT_NAMES: Final = frozenset(name for name, _ in _DEFAULTS)
_HSTS: Final = raw_header(*HSTS)
_REQUEST_ID: Final = REQUEST_ID_HEADER.lower().encode("latin-1")
_VARY_ORIGIN: Final = raw_header("Vary", "Origin")


class EdgeMiddleware:
    """What every answer carries, and what is kept of it.

    Each request gets an id (the caller's X-Request-ID when plain, else a fresh one), bound to every log
    line written meanwhile and sent back. Each answer gets the security headers (HSTS only over HTTPS,
    directly or from a trusted proxy) and the rate-limit headers of the tightest limit counted, and is
    logged and timed once. A request naming an Origin goes through CORS for the one configured origin,
    except on the SEP-1/SEP-2 paths, which any origin may read; the answer to one without says that it
    varies by Origin, as CORS would.
    """

    def __init__(self, app: ASGIApp, *, origin: str, public_paths: Iterable[str]):
        self.app = app
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
        self._recorder = AccessRecorder()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered: str | None = None
        from_browser = False
        for name, value in scope["headers"]:
            if name == _REQUEST_ID and offered is None:
                offered = value.decode("latin-1")
            elif name == b"origin":
                from_browser = True
        request_id = new_request_id(offered)
        scope.setdefault("state", {})["request_id"] = request_id
        token = bind_request_id(request_id)
        started = time.perf_counter()
        status = 500
        own: RawHeaders = [(_REQUEST_ID, request_id.encode("latin-1"))]
        if scope.get("scheme") == "https":
            own.append(_HSTS)

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = _answer_headers(message.get("headers", ()), own, scope["state"])
            await send(message)

        if not from_browser:
            app = self.app
            own.append(_VARY_ORIGIN)
        elif scope["path"] in self._public_paths:
            app = self._public
        else:
            app = self._private
        try:
            await app(scope, receive, send_with_headers)
        finally:
            client = scope.get("client")
            self._recorder.record(
                scope["method"],
                scope.get("route"),
                scope["path"],
                status,
                time.perf_counter() - started,
                client[0] if client else "-",
            )
            unbind_request_id(token)


def _answer_headers(headers: Iterable[tuple[bytes, bytes]], own: RawHeaders, state: dict) -> RawHeaders:
    """The answer's own headers (less a request id or HSTS it set: those are ours), then ours, then each
    default and rate-limit header it did not set itself."""
    answer: RawHeaders = []
    present: set[bytes] = set()
    for name, value in headers:
        lowered = name.lower()
        if lowered != _REQUEST_ID and lowered != _HSTS[0]:
            answer.append((lowered, value))
            present.add(lowered)
    answer += own
    if present.isdisjoint(_DEFAULT_NAMES):
        answer += _DEFAULTS
    else:
        answer += [pair for pair in _DEFAULTS if pair[0] not in present]
    rate: RateState | None = state.get("rate_limit")
    if rate is not None:
        answer += [pair for pair in rate.raw_headers() if pair[0] not in present]
    return answer


class _BodyTooLarge(Exception):
    pass


class GuardMiddleware:
    """The last resort and the size limit, inside CORS so that their answers carry its headers too.

    An unexpected exception becomes a 500 in the common shape, its trace only in the log; a request body
    over ``max_bytes`` is refused with 413, by its Content-Length or as it streams in."""

    def __init__(self, app: ASGIApp, *, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), None)
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

        try:
            with contextlib.suppress(_BodyTooLarge):
                await self.app(scope, counting_receive, guarded_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path", "")[:200])
            if not started:
                response = error_response(
                    500,
                    "internal_error",
                    "an internal error occurred; quote the request id when reporting it",
                )
                await response(scope, receive, send)
            return
        if exceeded and not started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "payload_too_large", f"the request body is larger than {self.max_bytes} bytes"
        )
        await response(scope, receive, send)
