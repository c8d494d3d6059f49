"""Posting many envelopes at once from one event loop thread.

A synchronous submission waits for its ledger (about a second), so a busy worker keeps hundreds in flight.
A thread each costs far more CPU per request (the wake-ups and the pure-Python HTTP parsing) than one event
loop with aiohttp, whose parser is compiled. This module posts only; what an answer means, and every retry,
stays with the synchronous path (core/payments/submission.py), which the worker falls back to for anything
but a plain answer.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import ssl
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import aiohttp
from stellar_sdk.client.response import Response
from stellar_sdk.exceptions import ConnectionError, raise_request_exception

from paycrypt.core.horizon import TransactionResult
from paycrypt.core.horizon_answers import form_body, horizon_error

log = logging.getLogger(__name__)
T = TypeVar("T")


class AsyncPoster:
    """``POST /transactions`` from a private event loop; :meth:`start` before use, :meth:`close` after.

    Answers and errors are those of :meth:`SdkHorizon.submit`: a TransactionResult, or the HorizonError
    that ``horizon_error`` maps the answer to."""

    def __init__(
        self,
        horizon_url: str,
        *,
        headers: dict[str, str],
        timeout_seconds: float,
        concurrency: int,
        ca_bundle: str | None = None,
    ):
        self._url = horizon_url.rstrip("/") + "/transactions"
        self._headers = headers
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._concurrency = concurrency
        self._ca_bundle = ca_bundle
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        if self._loop is not None:
            return
        loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name="horizon-poster", daemon=True)
        self._thread.start()
        self._loop = loop
        self._session = self.run(self._open()).result()

    def close(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        if self._session is not None:
            asyncio.run_coroutine_threadsafe(self._session.close(), loop).result(timeout=10)
            self._session = None
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Runs ``coroutine`` on the poster's loop; its future can be waited on from any thread."""
        if self._loop is None:
            coroutine.close()
            raise RuntimeError("the poster is not started")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    async def submit(self, envelope_xdr: str) -> TransactionResult:
        """Posts the envelope once (no retry) and waits for Horizon's answer."""
        assert self._session is not None, "start() first"
        try:
            async with self._session.post(self._url, data=form_body(envelope_xdr)) as answer:
                text = await answer.text(errors="replace")
                response = Response(answer.status, text, dict(answer.headers), self._url)
            raise_request_exception(response)
            body = response.json()
        except (TimeoutError, aiohttp.ClientError, OSError) as err:
            raise horizon_error(ConnectionError(err), doing="submitting a transaction") from err
        except Exception as err:
            raise horizon_error(err, doing="submitting a transaction") from err
        return TransactionResult.from_horizon(body)

    async def _open(self) -> aiohttp.ClientSession:
        context = ssl.create_default_context(cafile=self._ca_bundle) if self._ca_bundle else True
        connector = aiohttp.TCPConnector(limit=self._concurrency, ssl=context)
        return aiohttp.ClientSession(
            connector=connector,
            headers=self._headers,
            timeout=self._timeout,
            trust_env=False,
            cookie_jar=aiohttp.DummyCookieJar(),  # Horizon sets none: no jar to search for every request
        )
