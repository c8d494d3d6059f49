"""`POST /api/transactions/payment` (idempotent), `GET /api/transactions/{id}`, the quote, co-signatures."""

from __future__ import annotations

import base64
import json
import uuid
from decimal import Decimal

import pytest
from stellar_sdk import Keypair, Server, TransactionBuilder

PAY = "/api/transactions/payment"


def _send(api, body, *, key="order-1", **token):
    headers = {"Idempotency-Key": key, **api.auth("payments:write", **token)}
    return api.client.post(PAY, json=body, headers=headers)


@pytest.fixture
def funded(api):
    alice = api.bank.custodial("alice")
    bob = api.bank.outside("bob")
    return alice, bob


def test_a_payment_is_accepted_with_a_status_url_and_settles(api, funded):
    accepted = _send(api, {"from": "alice", "to": "bob", "amount": "12.5", "memo": "invoice 9"})
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["created"] is True and body["status"] == "received"
    assert body["status_url"] == f"/api/transactions/{body['id']}" == accepted.headers["Location"]
    assert body["payment"]["amount"] == "12.5000000" and body["payment"]["idempotency_key"] == "order-1"

    api.bank.settle(body["id"])
    status = api.client.get(body["status_url"], headers=api.auth("payments:read"))
    assert status.status_code == 200
    settled = status.json()
    assert settled["status"] == "succeeded" and settled["hash"] and settled["memo"] == "invoice 9"
    assert settled["events"][0]["status"] == "received"
    assert settled["events"][-1]["status"] == "succeeded" and settled["signing"] is None


def test_the_same_key_returns_the_same_payment_and_another_body_is_a_409(api, funded):
    body = {"from": "alice", "to": "bob", "amount": "1"}
    first = _send(api, body).json()
    again = _send(api, body)
    assert again.status_code == 202
    assert again.json()["id"] == first["id"] and again.json()["created"] is False
    conflict = _send(api, {**body, "amount": "2"})
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "idempotency_key_reused"
    other_client = _send(api, body, sub="another-client")  # keys are kept per client
    assert other_client.status_code == 202 and other_client.json()["id"] != first["id"]


def test_the_idempotency_key_header_is_required_and_checked(api):
    headers = api.auth("payments:write")
    body = {"from": "alice", "to": "bob", "amount": "1"}
    missing = api.client.post(PAY, json=body, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["error"] == {
        **missing.json()["error"],
        "code": "missing_field",
        "field": "Idempotency-Key",
    }
    bad = api.client.post(PAY, json=body, headers={**headers, "Idempotency-Key": "no spaces allowed"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "Idempotency-Key"


@pytest.mark.parametrize(
    ("raw", "status", "field"),
    [
        ('{"from": "alice", "to": "bob", "amount": 12.5}', 422, "amount"),
        ('{"from": "alice", "to": "bob", "amount": "1e5"}', 422, "amount"),
        ('{"from": "alice", "to": "bob", "amount": "-3"}', 422, "amount"),
        ('{"from": "alice", "to": "bob", "amount": "99999999999999999999999999"}', 422, "amount"),
        ('{"from": "alice", "to": "bob", "amount": "1.00000001"}', 422, "amount"),
        ('{"from": "alice", "to": "bob", "amount": "1", "memo": "\\ud800"}', 422, "memo"),
        ('{"from": "alice", "to": "bob", "amount": "1", "memo": "a\\u0000b"}', 422, "memo"),
        (
            '{"from": "alice", "to": "bob", "amount": "1", "memo": "far too long for a text memo, sorry"}',
            422,
            "memo",
        ),
        ('{"from": "alice", "to": "bob", "amount": "1", "memo_type": "blob"}', 422, "memo_type"),
        ('{"from": "alice", "amount": "1"}', 422, "to"),
        ('{"from": "alice", "to": ["bob"], "amount": "1"}', 422, "to"),
        ('{"from": "alice", "to": "bob", "amount": "1"', 400, "body"),
        ("[1, 2, 3]", 422, "body"),
        ('"just a string"', 422, "body"),
    ],
)
def test_bad_input_is_refused_naming_the_field_never_a_500(api, raw, status, field):
    headers = {"Idempotency-Key": "k-bad", "Content-Type": "application/json", **api.auth("payments:write")}
    answer = api.client.post(PAY, content=raw.encode(), headers=headers)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["field"] == field and error["request_id"] == answer.headers["X-Request-ID"]


def test_a_token_may_not_pay_from_a_tag_it_does_not_act_for(api, funded):
    answer = _send(api, {"from": "alice", "to": "bob", "amount": "1"}, tags=["bob"])
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "tag_forbidden"


def test_unknown_tags_bad_destinations_and_short_funds_are_plain_errors(api, funded):
    assert _send(api, {"from": "nobody", "to": "bob", "amount": "1"}).status_code == 404
    nowhere = _send(api, {"from": "alice", "to": "not a destination!", "amount": "1"}, key="nowhere")
    assert nowhere.status_code == 422 and nowhere.json()["error"]["field"] == "to"
    bad_tag = _send(api, {"from": "Alice Smith", "to": "bob", "amount": "1"}, key="bad-tag")
    assert bad_tag.status_code == 422 and bad_tag.json()["error"]["field"] == "from"
    too_much = _send(api, {"from": "alice", "to": "bob", "amount": "9999.9"}, key="big")
    assert too_much.status_code == 422
    assert too_much.json()["error"]["code"] == "insufficient_balance"


def test_the_quote_shows_fee_spendable_and_headroom_without_sending(api, funded):
    answer = api.client.get(
        "/api/transactions/payment/quote",
        params={"from": "alice", "amount": "12.5"},
        headers=api.auth("payments:read"),
    )
    assert answer.status_code == 200, answer.text
    quote = answer.json()
    assert quote["fee"] == {
        "per_operation": "0.0000100",
        "total": "0.0000100",
        "surge": False,
        "capped": False,
    }
    spendable = Decimal(quote["spendable"])
    assert Decimal("9998") < spendable < Decimal("10000")  # 10,000 XLM less the reserve and the fee
    assert quote["headroom"] == {
        "tag_amount": "50000.0000000",
        "tag_count": 1000,
        "global_amount": "1000000.0000000",
    }
    assert quote["fits"] is True and quote["amount"] == "12.5000000"
    with api.container.unit_of_work() as uow:
        assert uow.connection.exec_driver_sql("SELECT count(*) FROM transactions").scalar_one() == 0


def test_reading_a_payment_needs_a_real_id_and_a_token(api):
    headers = api.auth("payments:read")
    assert api.client.get(f"/api/transactions/{uuid.uuid4()}", headers=headers).status_code == 404
    malformed = api.client.get("/api/transactions/not-a-uuid", headers=headers)
    assert malformed.status_code == 422 and malformed.json()["error"]["field"] == "payment_id"
    assert api.client.get(f"/api/transactions/{uuid.uuid4()}").status_code == 401


def _make_multisig(api, account_id: str, cosigner: str) -> None:
    server = Server(api.settings.horizon_url)
    tx = (
        TransactionBuilder(server.load_account(account_id), api.settings.network_passphrase, base_fee=100)
        .append_ed25519_public_key_signer(cosigner, 1)
        .append_set_options_op(low_threshold=1, med_threshold=2, high_threshold=2)
        .set_timeout(30)
        .build()
    )
    with api.container.unit_of_work() as uow:
        api.container.vault.sign(uow.signing_keys, tx, account_id)
    server.submit_transaction(tx)


def test_a_co_signer_adds_a_detached_signature_and_the_payment_goes_out(api, funded):
    alice, _ = funded
    cosigner = Keypair.random()
    _make_multisig(api, alice, cosigner.public_key)
    payment_id = _send(api, {"from": "alice", "to": "bob", "amount": "3"}).json()["id"]
    assert api.bank.settle(payment_id).status.value == "awaiting_signatures"

    path = f"/api/transactions/{payment_id}"
    waiting = api.client.get(path, headers=api.auth("payments:read")).json()
    signing = waiting["signing"]
    assert signing["network_passphrase"] == api.settings.network_passphrase and signing["envelope_xdr"]
    tx_hash = bytes.fromhex(signing["hash"])
    headers = api.auth("payments:write")

    def sign(keypair, data=tx_hash):
        return {"public_key": keypair.public_key, "signature": base64.b64encode(keypair.sign(data)).decode()}

    stranger = api.client.post(f"{path}/signatures", json=sign(Keypair.random()), headers=headers)
    assert stranger.status_code == 422 and stranger.json()["error"]["code"] == "not_a_signer"
    forged = api.client.post(f"{path}/signatures", json=sign(cosigner, b"another message"), headers=headers)
    assert forged.status_code == 422 and forged.json()["error"]["field"] == "signature"
    garbage = api.client.post(
        f"{path}/signatures", json={"public_key": cosigner.public_key, "signature": "!!"}, headers=headers
    )
    assert garbage.status_code == 422

    signed = api.client.post(f"{path}/signatures", json=sign(cosigner), headers=headers)
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "signed"
    again = api.client.post(f"{path}/signatures", json=sign(cosigner), headers=headers)
    assert again.status_code == 409
    api.bank.settle(payment_id)
    assert api.client.get(path, headers=api.auth("payments:read")).json()["status"] == "succeeded"
    assert json.dumps(waiting).count(cosigner.public_key) == 0  # nothing about the co-signer was needed


def test_the_quote_refuses_bad_input_naming_the_field(api, funded):
    headers = api.auth("payments:read")
    quote = "/api/transactions/payment/quote"
    missing = api.client.get(quote, headers=headers)
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "from"
    bad_amount = api.client.get(quote, params={"from": "alice", "amount": "12,5"}, headers=headers)
    assert bad_amount.status_code == 422 and bad_amount.json()["error"]["field"] == "amount"
    over_max = api.client.get(quote, params={"from": "alice", "amount": "10000.1"}, headers=headers)
    assert over_max.status_code == 422 and over_max.json()["error"]["code"] == "amount_above_maximum"
    unknown = api.client.get(quote, params={"from": "nobody"}, headers=headers)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "tag_not_found"
    limited = api.client.get(quote, params={"from": "alice"}, headers=api.auth("payments:read", tags=["bob"]))
    assert limited.status_code == 403
