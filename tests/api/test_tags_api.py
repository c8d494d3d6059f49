"""Tags: public resolution shows where to pay and nothing more; admins create, update and delete."""

from __future__ import annotations

from stellar_sdk import Keypair, MuxedAccount

from paycrypt.core.tags import add_tag

ADMIN = ("tags:write",)


def test_anyone_resolves_a_tag_to_its_account_and_memo_only(api):
    account = Keypair.random().public_key
    add_tag("shop", account, "order-7", uow=api.container.unit_of_work())
    answer = api.client.get("/api/tags/SHOP")
    assert answer.status_code == 200
    assert answer.json() == {
        "tag": "shop",
        "account": account,
        "account_id": account,
        "memo_type": "text",
        "memo": "order-7",
    }


def test_a_custodial_tag_reveals_nothing_of_its_key(api):
    account = api.bank.custodial("alice")
    body = api.client.get("/api/tags/alice").json()
    assert body["account_id"] == account
    assert set(body) == {"tag", "account", "account_id", "memo_type", "memo"}


def test_an_unknown_tag_is_a_404_and_a_malformed_one_a_422_naming_the_field(api):
    missing = api.client.get("/api/tags/nobody")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "tag_not_found"
    bad = api.client.get("/api/tags/no%20spaces!")
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "tag"


def test_an_admin_creates_updates_and_deletes_a_tag_with_an_audit_trail(api):
    headers = api.auth(*ADMIN, sub="tag-admin")
    first, second = Keypair.random().public_key, Keypair.random().public_key
    created = api.client.post("/api/tags", json={"tag": "carol", "account": first}, headers=headers)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == "/api/tags/carol"
    assert created.json()["custodial"] is False

    muxed = MuxedAccount(second, 42).account_muxed
    updated = api.client.put("/api/tags/carol", json={"account": muxed, "memo": None}, headers=headers)
    assert updated.status_code == 200, updated.text
    assert (updated.json()["account"], updated.json()["account_id"]) == (muxed, second)
    assert updated.json()["created_at"] == created.json()["created_at"]
    assert api.client.get("/api/tags/carol").json()["account"] == muxed

    assert api.client.delete("/api/tags/carol", headers=headers).status_code == 204
    assert api.client.get("/api/tags/carol").status_code == 404
    with api.container.unit_of_work() as uow:
        trail = [(e.actor, e.action) for e in reversed(uow.audit.recent(10))]
    assert trail == [("tag-admin", "tag.added"), ("tag-admin", "tag.updated"), ("tag-admin", "tag.removed")]


def test_tag_writes_need_the_admin_scope_and_refuse_bad_input(api):
    account = Keypair.random().public_key
    reader = api.auth("payments:read")
    assert (
        api.client.post("/api/tags", json={"tag": "dave", "account": account}, headers=reader).status_code
        == 403
    )
    assert api.client.post("/api/tags", json={"tag": "dave", "account": account}).status_code == 401
    admin = api.auth(*ADMIN)
    seed = Keypair.random().secret
    refused = api.client.post("/api/tags", json={"tag": "dave", "account": seed}, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "account" and seed not in refused.text
    extra = api.client.post("/api/tags", json={"tag": "dave", "account": account, "x": 1}, headers=admin)
    assert extra.status_code == 422 and extra.json()["error"]["field"] == "x"
    assert (
        api.client.post("/api/tags", json={"tag": "dave", "account": account}, headers=admin).status_code
        == 201
    )
    again = api.client.post("/api/tags", json={"tag": "dave", "account": account}, headers=admin)
    assert again.status_code == 409 and again.json()["error"]["code"] == "tag_exists"
    assert api.client.put("/api/tags/nobody", json={}, headers=admin).status_code == 404
