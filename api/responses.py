"""Answers built directly in the shape of their response model.

A route that assembles its answer field by field from stored rows (already in the documented shape:
strings for money and times, the model's field names and order) returns a `ShapedJSONResponse`.
FastAPI sends a returned Response as it is, so the answer is not checked a second time against the
model; the model stays the route's ``response_model`` for the OpenAPI document, and tests compare
such answers with the model's own output.
"""

from __future__ import annotations

from typing import Any

import pydantic_core
from starlette.responses import JSONResponse, Response


class ShapedJSONResponse(JSONResponse):
    """Compact UTF-8 JSON, as FastAPI writes a model, encoded by pydantic-core (several times faster
    than the standard library on a page of payments)."""

    def render(self, content: Any) -> bytes:
        return pydantic_core.to_json(content)


class RenderedJSONResponse(Response):
    """A JSON document already rendered as bytes (a history page, written by the database), sent as it is."""

    media_type = "application/json"
