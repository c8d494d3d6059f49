"""Horizon's paging: `cursor`, `limit` (1-200, default 10) and `order` (asc or desc) in; `_links` out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar
from urllib.parse import urlencode

from paycrypt.sandbox.history import HasPagingToken, PageQuery

MAX_LIMIT: Final = 200
R = TypeVar("R", bound=HasPagingToken)


class BadPageQuery(ValueError):
    """A cursor, limit or order Horizon would refuse with 400 bad_request."""


def parse_page_query(params: Mapping[str, str]) -> PageQuery:
    order = params.get("order", "asc") or "asc"
    if order not in ("asc", "desc"):
        raise BadPageQuery("order: expected asc or desc")
    raw_limit = params.get("limit", "10") or "10"
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise BadPageQuery(f"limit: expected a whole number from 1 to {MAX_LIMIT}")
    raw_cursor = params.get("cursor", "") or ""
    cursor: int | None = None
    if raw_cursor and raw_cursor != "now":
        if not raw_cursor.lstrip("-").isdigit():
            raise BadPageQuery("cursor: expected a paging token (a whole number) or 'now'")
        cursor = max(int(raw_cursor), 0)
    elif raw_cursor == "now":
        cursor = 2**63 - 1 if order == "asc" else None
    return PageQuery(cursor=cursor, limit=int(raw_limit), descending=order == "desc")


def page_body(
    records: Sequence[R],
    query: PageQuery,
    render: Callable[[R], dict[str, Any]],
    url: str,
    extra_params: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A Horizon page: the rendered records, a link to itself, the next page and the previous one."""
    order = "desc" if query.descending else "asc"
    flipped = "asc" if query.descending else "desc"
    first = str(records[0].paging_token) if records else _cursor_text(query)
    last = str(records[-1].paging_token) if records else _cursor_text(query)
    extra = dict(extra_params or {})

    def link(cursor: str, link_order: str) -> dict[str, str]:
        params = {**extra, "cursor": cursor, "limit": str(query.limit), "order": link_order}
        return {"href": f"{url}?{urlencode(params)}"}

    return {
        "_links": {
            "self": link(_cursor_text(query), order),
            "next": link(last, order),
            "prev": link(first, flipped),
        },
        "_embedded": {"records": [render(record) for record in records]},
    }


def _cursor_text(query: PageQuery) -> str:
    return "" if query.cursor is None else str(query.cursor)
