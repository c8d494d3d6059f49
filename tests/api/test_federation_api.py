"""SEP-2 federation for our tags, checked with stellar-sdk's own client against a real uvicorn server."""

from __future__ import annotations

import pytest
from stellar_sdk import Keypair
from stellar_sdk.sep.exceptions import BadFederationResponseError
from stellar_sdk.sep.federation import resolve_account_id, resolve_stellar_address
from stellar_sdk.sep.stellar_toml import fetch_stellar_toml

from paycrypt.core.tags import add_tag

from .conftest import free_port, serving


def test_stellar_sdk_resolves_our_tags_through_stellar_toml(make_api):
    port = free_port()
    domain = f"127.0.0.1:{port}"
    api = make_api(PAYCRYPT_FEDERATION_DOMAIN=domain, API_PUBLIC_URL=f"http://{domain}")
    alice, shop = Keypair.random().public_key, Keypair.random().public_key
    add_tag("alice", alice, uow=api.container.unit_of_work())
    add_tag("shop", shop, "42", "id", uow=api.container.unit_of_work())
    with serving(api.app, port):
        toml = fetch_stellar_toml(domain, use_http=True)
        assert toml["FEDERATION_SERVER"] == f"http://{domain}/federation"
        assert toml["NETWORK_PASSPHRASE"] == api.settings.network_passphrase

        record = resolve_stellar_address(f"alice*{domain}", use_http=True)
        assert (record.account_id, record.memo_type, record.memo) == (alice, None, None)
        with_memo = resolve_stellar_address(f"shop*{domain}", use_http=True)
        assert (with_memo.account_id, with_memo.memo_type, with_memo.memo) == (shop, "id", "42")
        reverse = resolve_account_id(alice, domain=domain, use_http=True)
        assert reverse.stellar_address == f"alice*{domain}"
        with pytest.raises(BadFederationResponseError) as unknown:
            resolve_stellar_address(f"nobody*{domain}", use_http=True)
        assert unknown.value.status == 404


def test_federation_answers_only_for_our_domain_and_supported_types(api):
    add_tag("alice", Keypair.random().public_key, uow=api.container.unit_of_work())
    assert (
        api.client.get("/federation", params={"q": "alice*pay.example.test", "type": "name"}).status_code
        == 200
    )
    assert (
        api.client.get("/federation", params={"q": "alice*elsewhere.org", "type": "name"}).status_code == 404
    )
    txid = api.client.get("/federation", params={"q": "abc", "type": "txid"})
    assert txid.status_code == 422 and txid.json()["error"]["field"] == "type"
    bad = api.client.get("/federation", params={"q": "alice", "type": "name"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "q"
    assert api.client.get("/federation", params={"q": "x"}).json()["error"]["field"] == "type"


def test_without_a_federation_domain_neither_sep_path_is_served(make_api):
    api = make_api(PAYCRYPT_FEDERATION_DOMAIN="")
    assert api.client.get("/.well-known/stellar.toml").status_code == 404
    answer = api.client.get("/federation", params={"q": "alice*pay.example.test", "type": "name"})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "federation_disabled"
