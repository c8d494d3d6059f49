"""SEP-10 web authentication: a signed challenge earns a read token for the tags naming that account."""

from __future__ import annotations

import time
import tomllib
from urllib.parse import urlsplit

import jwt
import pytest
from stellar_sdk import Keypair, MuxedAccount, Server, Signer, TransactionBuilder, TransactionEnvelope
from stellar_sdk.sep.stellar_web_authentication import build_challenge_transaction

from paycrypt.core.errors import ConfigError
from paycrypt.core.tags import add_tag
from paycrypt.core.web_auth import tags_of

from .conftest import FEDERATION_DOMAIN, JWT_SECRET

SERVER = Keypair.random()
AUTH = "/auth"


@pytest.fixture
def web(make_api):
    return make_api(PAYCRYPT_SEP10_SIGNING_KEY=SERVER.secret)


def _signed(web, account: str, *signers: Keypair) -> str:
    answer = web.client.get(AUTH, params={"account": account})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["network_passphrase"] == web.settings.network_passphrase
    envelope = TransactionEnvelope.from_xdr(body["transaction"], body["network_passphrase"])
    for keypair in signers:
        envelope.sign(keypair)
    return envelope.to_xdr()


def _token(web, signed: str):
    return web.client.post(AUTH, json={"transaction": signed})


def _claims(token: str) -> dict:
    return jwt.decode(token, JWT_SECRET, algorithms=["HS256"], audience="paycrypt-api")


def _history(web, tag: str, token: str):
    return web.client.get(
        f"/api/transactions/tag/{tag}/history", headers={"Authorization": f"Bearer {token}"}
    )


def test_a_signed_challenge_earns_a_read_token_for_the_accounts_own_tags(web):
    alice = web.bank.outside("alice")
    web.bank.outside("bob")

    answer = _token(web, _signed(web, alice.public_key, alice))

    assert answer.status_code == 200, answer.text
    token = answer.json()["token"]
    claims = _claims(token)
    assert claims["sub"] == alice.public_key
    assert claims["scope"] == "payments:read"
    assert claims["tags"] == ["alice"]
    assert _history(web, "alice", token).status_code == 200
    refused = _history(web, "bob", token)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "tag_forbidden"
    paying = web.client.post(
        "/api/transactions/payment",
        json={"from": "alice", "to": "bob", "amount": "1"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "web-auth-1"},
    )
    assert paying.status_code == 403  # read only


def test_an_account_not_on_the_ledger_proves_itself_with_its_own_key_and_reads_nothing(web):
    newcomer = Keypair.random()
    answer = _token(web, _signed(web, newcomer.public_key, newcomer))
    assert answer.status_code == 200, answer.text
    assert _claims(answer.json()["token"])["tags"] == []
    web.bank.outside("carol")
    assert _history(web, "carol", answer.json()["token"]).status_code == 403


@pytest.mark.parametrize("signers", ["none", "stranger"])
def test_a_challenge_without_the_accounts_signature_is_refused(web, signers):
    alice = web.bank.outside("alice")
    keys = [] if signers == "none" else [Keypair.random()]
    answer = _token(web, _signed(web, alice.public_key, *keys))
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "challenge_invalid"


def test_a_multisig_account_must_reach_its_medium_threshold(web):
    owner, second = web.bank.outside("shared"), Keypair.random()
    server = Server(web.bank.sandbox.url)
    tx = (
        TransactionBuilder(server.load_account(owner.public_key), web.settings.network_passphrase, 100)
        .append_set_options_op(signer=Signer.ed25519_public_key(second.public_key, 1), med_threshold=2)
        .set_timeout(60)
        .build()
    )
    tx.sign(owner)
    server.submit_transaction(tx)

    one = _token(web, _signed(web, owner.public_key, owner))
    assert one.status_code == 401 and one.json()["error"]["code"] == "challenge_invalid"
    both = _token(web, _signed(web, owner.public_key, owner, second))
    assert both.status_code == 200, both.text
    assert _claims(both.json()["token"])["tags"] == ["shared"]


def test_an_expired_challenge_or_one_from_another_server_is_refused(web):
    alice = web.bank.outside("alice")
    passphrase = web.settings.network_passphrase
    web_auth_domain = urlsplit(web.settings.api.public_url).netloc

    def challenge(server: Keypair, timeout: int) -> str:
        envelope = TransactionEnvelope.from_xdr(
            build_challenge_transaction(
                server.secret, alice.public_key, FEDERATION_DOMAIN, web_auth_domain, passphrase, timeout
            ),
            passphrase,
        )
        envelope.sign(alice)
        return envelope.to_xdr()

    assert _token(web, challenge(SERVER, 900)).status_code == 200  # the same, in time, from this server
    other = _token(web, challenge(Keypair.random(), 900))
    assert other.status_code == 401
    expired = challenge(SERVER, 1)
    time.sleep(2.1)
    late = _token(web, expired)
    assert late.status_code == 401 and late.json()["error"]["code"] == "challenge_invalid"


@pytest.mark.parametrize("garbage", ["x", "AAAA", "!!!!", "AAAAAgAAAAA=", "A" * 400, "AAAAAQ==" * 3])
def test_anything_but_a_challenge_is_a_401_never_a_500(web, garbage):
    answer = _token(web, garbage)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "challenge_invalid"


@pytest.mark.parametrize("account", ["", "GABC", SERVER.secret])
def test_a_challenge_is_only_for_a_valid_account(web, account):
    answer = web.client.get(AUTH, params={"account": account})
    assert answer.status_code == 422
    assert SERVER.secret not in answer.text


def test_a_muxed_account_is_refused(web):
    muxed = MuxedAccount(Keypair.random().public_key, 7).account_muxed
    assert muxed is not None
    assert web.client.get(AUTH, params={"account": muxed}).status_code == 422


def test_stellar_toml_names_the_endpoint_and_the_public_signing_key_only(web, make_api):
    toml = tomllib.loads(web.client.get("/.well-known/stellar.toml").text)
    assert toml["WEB_AUTH_ENDPOINT"] == web.settings.api.public_url + AUTH
    assert toml["SIGNING_KEY"] == SERVER.public_key
    assert SERVER.secret not in web.client.get("/.well-known/stellar.toml").text
    assert (
        web.client.options(
            AUTH, headers={"Origin": "https://wallet.example", "Access-Control-Request-Method": "GET"}
        ).headers.get("access-control-allow-origin")
        == "*"
    )

    plain = make_api()
    assert "WEB_AUTH_ENDPOINT" not in plain.client.get("/.well-known/stellar.toml").text
    answer = plain.client.get(AUTH, params={"account": Keypair.random().public_key})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "web_auth_disabled"


def test_the_signing_key_is_checked_at_start_and_never_echoed(api_settings):
    with pytest.raises(ConfigError) as caught:
        api_settings(PAYCRYPT_SEP10_SIGNING_KEY="SNOTASEED")
    assert "SNOTASEED" not in str(caught.value)
    with pytest.raises(ConfigError):
        api_settings(PAYCRYPT_SEP10_SIGNING_KEY=SERVER.secret, PAYCRYPT_FEDERATION_DOMAIN="")
    settings = api_settings(PAYCRYPT_SEP10_SIGNING_KEY=SERVER.secret)
    assert SERVER.secret in settings.known_secret_values()  # masked in every log line
    assert SERVER.secret not in repr(settings)


def test_tags_of_an_account_are_the_ones_naming_it_directly(web):
    account = Keypair.random().public_key
    add_tag("direct", account, uow=web.container.unit_of_work())
    muxed = MuxedAccount(account, 9).account_muxed
    assert muxed is not None
    add_tag("muxed", muxed, uow=web.container.unit_of_work())

    assert tags_of(account, uow=web.container.unit_of_work()) == ["direct"]
