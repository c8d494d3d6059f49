"""`GET /metrics`: Prometheus exposition, optionally behind METRICS_TOKEN, or moved to METRICS_PORT."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import Response

from paycrypt.api.deps import Api, public
from paycrypt.api.errors import ApiError, Unauthorized
from paycrypt.api.routes.common import COMMON, errors

router = APIRouter(tags=["service"], responses=errors(*COMMON, 401, 404))


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(public("public"))],
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Exposition"}},
)
def metrics(
    api: Api,
    authorization: Annotated[str | None, Header(max_length=500)] = None,
) -> Response:
    """Request latency by route and status, and the payment engine's metrics."""
    settings = api.settings.api
    if settings.metrics_port is not None:
        raise ApiError("metrics are served on their own port", code="not_found", status=404)
    if settings.metrics_token is not None:
        expected = f"Bearer {settings.metrics_token.reveal()}".encode()
        if not hmac.compare_digest((authorization or "").encode(), expected):
            raise Unauthorized("the metrics token is missing or wrong", code="token_invalid")
    body, content_type = api.metrics.render()
    return Response(body, media_type=content_type)
