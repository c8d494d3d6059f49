"""What is kept of each answered request: one access log line and one latency sample.

The line is ``GET /api/tags/alice 200 1.3ms client=203.0.113.9`` on the ``paycrypt.api.access`` logger, at
INFO, with the request id added by the handlers like any other line. The sample goes to the latency
histogram by method, route template (not the raw path, so the series stay few) and status.
"""

from __future__ import annotations

import logging
from typing import Final

from prometheus_client import Histogram

from paycrypt.api.metrics import UNMATCHED_ROUTE, http_latency

access_log = logging.getLogger("paycrypt.api.access")

_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
MAX_LOGGED_PATH: Final = 200


def method_label(method: str) -> str:
    """The method as counted: an unusual one becomes OTHER, so a scanner cannot add series."""
    return method if method in _METHODS else "OTHER"


def route_label(route: object) -> str:
    """The route template a request matched (``/api/tags/{tag}``), or one label for every unknown path."""
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class AccessRecorder:
    """Records answered requests in the log and in the latency histogram."""

    def __init__(self, histogram: Histogram = http_latency, log: logging.Logger = access_log):
        self._histogram = histogram
        self._log = log
        # The labelled child of each (method, route, status): finding it is a lock and a dict lookup of
        # the histogram's own, more than the observation costs. Few keys: the labels are bounded above.
        self._children: dict[tuple[str, str, int], Histogram] = {}

    def record(self, method: str, route: object, path: str, status: int, seconds: float, client: str) -> None:
        label = method_label(method)
        key = (label, route_label(route), status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._histogram.labels(key[0], key[1], str(status))
        child.observe(seconds)
        if self._log.isEnabledFor(logging.INFO):
            self._log_line(label, path, status, seconds, client)

    def _log_line(self, method: str, path: str, status: int, seconds: float, client: str) -> None:
        # The message is finished here (no arguments, so a '%' in a path is only text) and the record is
        # made without looking up the caller's file and line, which the format does not show; the
        # handlers' filters (request id, secrets masked) and format apply as to every other record.
        # The path only: query strings are the caller's business and may carry personal data.
        message = f"{method} {path[:MAX_LOGGED_PATH]} {status} {seconds * 1000:.1f}ms client={client}"
        record = self._log.makeRecord(self._log.name, logging.INFO, __file__, 0, message, (), None)
        self._log.handle(record)
