"""`GET /api/transactions/tag/{tag}/history`: newest first, cursor paging, filters, CSV (Accept: text/csv)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from paycrypt.api.deps import Api, authorised
from paycrypt.api.responses import RenderedJSONResponse
from paycrypt.api.routes.common import AUTH, COMMON, errors
from paycrypt.api.schemas import HistoryOut
from paycrypt.api.security import PAYMENTS_READ, PAYMENTS_WRITE, Principal
from paycrypt.core.errors import ValidationError
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.history import MAX_PAGE, HistoryQuery, all_pages, history_csv, payment_history
from paycrypt.core.payments.history_view import history_view_read

router = APIRouter(prefix="/api/transactions", tags=["history"], responses=errors(*COMMON))
reader = authorised("read", PAYMENTS_READ, PAYMENTS_WRITE)
CSV_TYPE = "text/csv; charset=utf-8"


def _utc(value: datetime | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValidationError(f"{field}: out of range", code="time_invalid", field=field) from None


@router.get(
    "/tag/{tag}/history",
    response_model=HistoryOut,
    responses={
        200: {
            "description": "One page as JSON, or with Accept: text/csv every matching payment as CSV",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **errors(*AUTH),
    },
)
async def tag_history(
    principal: Annotated[Principal, Depends(reader)],
    api: Api,
    tag: Annotated[str, Path(min_length=1, max_length=64)],
    status: Annotated[list[PaymentStatus] | None, Query(description="Repeatable")] = None,
    since: Annotated[datetime | None, Query(description="From this time (inclusive; UTC if no zone)")] = None,
    until: Annotated[datetime | None, Query(description="Up to this time (exclusive)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9_\-=]+$")] = None,
    accept: Annotated[str | None, Header(max_length=1000)] = None,
) -> RenderedJSONResponse | StreamingResponse:
    """Sent and received payments of a tag (scope payments:read)."""
    principal.check_tag(tag)
    query = HistoryQuery(
        tag=tag,
        statuses=tuple(status or ()),
        since=_utc(since, "since"),
        until=_utc(until, "until"),
        limit=limit,
        cursor=cursor,
    )
    uow_factory = api.container.uow_factory
    if accept is not None and "text/csv" in accept.lower():
        # Read before the answer starts, so that errors still get a status.
        first = await run_in_threadpool(payment_history, uow_factory, query)

        def rows() -> Iterator[str]:
            yield history_csv([first])
            if first.next_cursor is not None:
                rest = HistoryQuery(**{**query.__dict__, "cursor": first.next_cursor})
                for page in all_pages(uow_factory, rest):
                    yield history_csv([page]).split("\r\n", 1)[1]  # the header row only once

        filename = f"{first.tag}-history.csv"
        return StreamingResponse(
            rows(), media_type=CSV_TYPE, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
        )
    read = history_view_read(query, api.reader.dialect)
    return RenderedJSONResponse(read.document(await api.reader.fetch(read.statement, read.parameters)))
