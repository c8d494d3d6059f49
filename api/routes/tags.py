"""Tags: public resolution (`GET /api/tags/{tag}`: where to pay, nothing else), admin create/update/delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from paycrypt.api.deps import Api, authorised, public
from paycrypt.api.responses import ShapedJSONResponse
from paycrypt.api.routes.common import AUTH, COMMON, errors
from paycrypt.api.schemas import TagCreate, TagOut, TagRecordOut, TagUpdate
from paycrypt.api.security import TAGS_WRITE, Principal
from paycrypt.core import tags as tag_services
from paycrypt.core.records import TagRecord

router = APIRouter(prefix="/api/tags", tags=["tags"], responses=errors(*COMMON))
TagPath = Annotated[str, Path(min_length=1, max_length=64, description="The tag, e.g. alice")]
admin = authorised("admin", TAGS_WRITE)


def _public_view(record: TagRecord) -> dict[str, Any]:
    """The tag in TagOut's shape."""
    return {
        "tag": record.tag.value,
        "account": record.account.address,
        "account_id": record.account.account_id,
        "memo_type": record.memo.stored_type,
        "memo": record.memo.value,
    }


def _full(record: TagRecord) -> TagRecordOut:
    return TagRecordOut(
        **_public_view(record),
        custodial=record.custodial,
        created_at=record.created_at.isoformat(),
        updated_at=record.updated_at.isoformat(),
    )


def _actor(principal: Principal) -> str:
    return principal.subject


@router.get("/{tag}", response_model=TagOut, dependencies=[Depends(public("public"))], responses=errors(404))
async def resolve_tag(tag: TagPath, api: Api) -> ShapedJSONResponse:
    """The account and memo to pay this tag with."""
    record = await tag_services.look_up_tag(tag, reader=api.reader, cache=api.container.tag_cache)
    return ShapedJSONResponse(_public_view(record))


@router.post("", status_code=201, response_model=TagRecordOut, responses=errors(*AUTH, 409))
def create_tag(
    body: TagCreate,
    response: Response,
    principal: Annotated[Principal, Depends(admin)],
    api: Api,
) -> TagRecordOut:
    """Name an account (scope tags:write)."""
    record = tag_services.add_tag(
        body.tag,
        body.account,
        body.memo,
        body.memo_type,
        uow=api.container.unit_of_work(),
        actor=_actor(principal),
    )
    response.headers["Location"] = f"/api/tags/{record.tag.value}"
    return _full(record)


@router.put("/{tag}", response_model=TagRecordOut, responses=errors(*AUTH, 404, 409))
def update_tag(
    tag: TagPath, body: TagUpdate, principal: Annotated[Principal, Depends(admin)], api: Api
) -> TagRecordOut:
    """Point a tag at another account and/or memo (scope tags:write); the memo given replaces the old one."""
    record = tag_services.update_tag(
        tag,
        account=body.account,
        memo=body.memo,
        memo_type=body.memo_type,
        uow=api.container.unit_of_work(),
        actor=_actor(principal),
        cache=api.container.tag_cache,
    )
    return _full(record)


@router.delete("/{tag}", status_code=204, response_class=Response, responses=errors(*AUTH, 404))
def delete_tag(tag: TagPath, principal: Annotated[Principal, Depends(admin)], api: Api) -> Response:
    """Remove a tag (scope tags:write); a signing key held for its account stays in the vault."""
    tag_services.remove_tag(
        tag, uow=api.container.unit_of_work(), actor=_actor(principal), cache=api.container.tag_cache
    )
    return Response(status_code=204)
