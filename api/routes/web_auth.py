"""SEP-10 web authentication: `GET /auth?account=G...` gives a challenge, `POST /auth` with it signed gives
a token (scope payments:read, for the tags naming that account). Served when PAYCRYPT_SEP10_SIGNING_KEY is
set; named in stellar.toml as WEB_AUTH_ENDPOINT with its SIGNING_KEY. Any origin may call it (SEP-10)."""

from __future__ import annotations

import logging
from typing import Annotated, Final
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from paycrypt.api.deps import Api, public
from paycrypt.api.errors import Unauthorized
from paycrypt.api.routes.common import COMMON, errors
from paycrypt.api.security import PAYMENTS_READ, TokenKeys, issue_token
from paycrypt.core.settings import Settings
from paycrypt.core.web_auth import InvalidChallenge, WebAuth, tags_of, web_auth_or_refuse

log = logging.getLogger(__name__)

router = APIRouter(tags=["web auth"], responses=errors(*COMMON, 404))
WEB_AUTH_PATH: Final = "/auth"
TOKEN_SECONDS: Final = 3600


class ChallengeOut(BaseModel):
    transaction: str = Field(description="The challenge (base64 XDR) to sign with the account's keys")
    network_passphrase: str


class SignedChallengeIn(BaseModel):
    transaction: str = Field(min_length=1, max_length=20_000, description="The challenge, signed")


class WebAuthTokenOut(BaseModel):
    token: str = Field(description="A JWT: Authorization: Bearer TOKEN")


def web_auth_for(settings: Settings) -> WebAuth | None:
    """The SEP-10 server these settings describe, or None when it is not configured."""
    key = settings.api.sep10_signing_key
    if key is None or settings.federation_domain is None:
        return None
    return WebAuth(
        signing_key=key,
        home_domain=settings.federation_domain,
        web_auth_domain=urlsplit(settings.api.public_url).netloc,
        network_passphrase=settings.network_passphrase,
    )


@router.get(WEB_AUTH_PATH, response_model=ChallengeOut, dependencies=[Depends(public("federation"))])
def challenge(
    account: Annotated[str, Query(min_length=1, max_length=100, description="The G... account")], api: Api
) -> ChallengeOut:
    """A challenge transaction for ``account`` to sign (valid 15 minutes)."""
    web_auth = web_auth_or_refuse(api.web_auth)
    return ChallengeOut(
        transaction=web_auth.challenge(account.strip()), network_passphrase=web_auth.network_passphrase
    )


@router.post(
    WEB_AUTH_PATH,
    response_model=WebAuthTokenOut,
    dependencies=[Depends(public("federation"))],
    responses=errors(401),
)
def token(body: SignedChallengeIn, api: Api) -> WebAuthTokenOut:
    """A read token for the account the signed challenge proves control of."""
    web_auth = web_auth_or_refuse(api.web_auth)
    try:
        account = web_auth.verify(body.transaction, horizon=api.container.horizon)
    except InvalidChallenge as err:
        raise Unauthorized(err.message, code=err.code) from None
    tags = tags_of(account, uow=api.container.unit_of_work())
    keys = TokenKeys.from_settings(api.settings)
    signed = issue_token(keys, subject=account, scopes=[PAYMENTS_READ], ttl_seconds=TOKEN_SECONDS, tags=tags)
    log.info("web auth: a read token for %s (%d tags)", account, len(tags))
    return WebAuthTokenOut(token=signed)
