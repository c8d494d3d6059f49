"""SEP-2 `GET /federation` for our own tags and the SEP-1 `GET /.well-known/stellar.toml` that names it.

Both may be read from any origin (CORS `*`), as SEP-1 and SEP-2 require.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse

from paycrypt.api.deps import Api, public
from paycrypt.api.routes.common import COMMON, errors
from paycrypt.api.routes.web_auth import WEB_AUTH_PATH
from paycrypt.api.schemas import FederationOut
from paycrypt.core.federation import FederationError
from paycrypt.core.federation_server import federation_by_id, federation_by_name

router = APIRouter(tags=["federation"], responses=errors(*COMMON, 404))
FEDERATION_PATH = "/federation"
STELLAR_TOML_PATH = "/.well-known/stellar.toml"
PUBLIC_PATHS = (FEDERATION_PATH, STELLAR_TOML_PATH)
_ANY_ORIGIN = {"Access-Control-Allow-Origin": "*"}


@router.get(
    FEDERATION_PATH,
    response_model=FederationOut,
    response_model_exclude_none=True,
    dependencies=[Depends(public("federation"))],
)
def federation(
    q: Annotated[str, Query(min_length=1, max_length=300, description="name*domain, or a G... account")],
    # SEP-2 also names txid and forward, with a 501 when unsupported; here they are refused as input (422),
    # since no input may earn a 5xx from this API.
    type: Annotated[Literal["name", "id"], Query()],
    api: Api,
) -> FederationOut:
    """Resolves ``tag*our-domain`` (type=name) or an account to its tag (type=id)."""
    lookup = federation_by_name if type == "name" else federation_by_id
    record = lookup(q, own_domain=api.settings.federation_domain, uow=api.container.unit_of_work())
    return FederationOut(
        stellar_address=record.stellar_address,
        account_id=record.account_id,
        memo_type=record.memo_type,  # type: ignore[arg-type]
        memo=record.memo,
    )


@router.get(
    STELLAR_TOML_PATH,
    response_class=PlainTextResponse,
    dependencies=[Depends(public("federation"))],
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "SEP-1 TOML"}},
)
def stellar_toml(api: Api) -> PlainTextResponse:
    """SEP-1: the network, this service's federation server and, when served, its SEP-10 endpoint."""
    settings = api.settings
    if settings.federation_domain is None:
        raise FederationError(
            "federation is not served here (PAYCRYPT_FEDERATION_DOMAIN is not set)",
            code="federation_disabled",
        )
    lines = [
        'VERSION="2.7.0"',
        f"NETWORK_PASSPHRASE={json.dumps(settings.network_passphrase)}",
        f"FEDERATION_SERVER={json.dumps(settings.api.public_url + FEDERATION_PATH)}",
    ]
    if api.web_auth is not None:  # SEP-10: where to sign in, and the key its challenges are signed with
        lines += [
            f"WEB_AUTH_ENDPOINT={json.dumps(settings.api.public_url + WEB_AUTH_PATH)}",
            f"SIGNING_KEY={json.dumps(api.web_auth.signing_account)}",
        ]
    return PlainTextResponse(
        "\n".join(lines) + "\n", headers={**_ANY_ORIGIN, "Cache-Control": "public, max-age=300"}
    )
