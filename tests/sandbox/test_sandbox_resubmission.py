"""Idempotency by hash and the injected faults: a resubmitted envelope is applied once, whatever happened."""

from __future__ import annotations

import time

import httpx
import pytest
from stellar_sdk import Asset, Keypair, Server, TransactionBuilder
from stellar_sdk.client.requests_client import RequestsClient
from stellar_sdk.exceptions import BadRequestError, BadResponseError, NotFoundError

from paycrypt.sandbox.testing import FaultKind, RunningSandbox

ONE_XLM = 10**7
FUNDED = 10_000 * ONE_XLM


def payment(builder, source: Keypair, destination: Keypair, amount: str = "1"):
    envelope = builder(source).append_payment_op(destination.public_key, Asset.native(), amount).build()
    envelope.sign(source)
    return envelope


def test_the_same_envelope_sent_three_times_is_applied_once(live_sandbox, server, funded, builder):
    alice, bob = funded(2)
    envelope = payment(builder, alice, bob)
    answers = [server.submit_transaction(envelope) for _ in range(3)]
    assert {answer["hash"] for answer in answers} == {envelope.hash_hex()}
    assert {answer["ledger"] for answer in answers} == {answers[0]["ledger"]}
    assert live_sandbox.balance(bob.public_key) == FUNDED + ONE_XLM
    assert live_sandbox.balance(alice.public_key) == FUNDED - ONE_XLM - 100


def test_a_failed_envelope_sent_again_gets_its_stored_failure_and_pays_once(
    live_sandbox, server, funded, builder
):
    alice, bob = funded(2)
    envelope = payment(builder, alice, bob, "50000")
    for _ in range(2):
        with pytest.raises(BadRequestError) as caught:
            server.submit_transaction(envelope)
        assert (caught.value.extras or {})["result_codes"]["operations"] == ["op_underfunded"]
    assert live_sandbox.balance(alice.public_key) == FUNDED - 100


def test_an_envelope_queued_twice_on_the_async_endpoint_is_a_duplicate(manual_sandbox):
    server = Server(manual_sandbox.url)
    alice = Keypair.random()
    manual_sandbox.fund(alice.public_key)
    envelope = (
        TransactionBuilder(server.load_account(alice.public_key), manual_sandbox.passphrase, 100)
        .append_manage_data_op("k", "v")
        .set_timeout(30)
        .build()
    )
    envelope.sign(alice)
    assert server.submit_transaction_async(envelope)["tx_status"] == "PENDING"
    with pytest.raises(BadRequestError) as caught:
        server.submit_transaction_async(envelope)
    assert caught.value.status == 409
    manual_sandbox.close_ledger()
    assert manual_sandbox.balance(alice.public_key) == FUNDED - 100


@pytest.mark.parametrize(
    "kind",
    [
        FaultKind.TIMEOUT_AFTER_APPLY,
        FaultKind.TIMEOUT_BEFORE_APPLY,
        FaultKind.UNAVAILABLE,
        FaultKind.RATE_LIMITED,
        FaultKind.DROP_CONNECTION,
        FaultKind.DROP_AFTER_APPLY,
    ],
)
def test_the_sdk_resubmits_after_a_fault_and_the_payment_is_applied_once(
    live_sandbox, server, funded, builder, kind
):
    alice, bob = funded(2)
    envelope = payment(builder, alice, bob)
    live_sandbox.faults.add(kind, count=1, retry_after=0)
    answer = server.submit_transaction(envelope)  # the sdk's own retries (504, 503, 429, dropped connection)
    assert answer["successful"] is True
    assert live_sandbox.faults.injected >= 1
    assert live_sandbox.faults.pending() == []
    assert live_sandbox.balance(bob.public_key) == FUNDED + ONE_XLM
    assert live_sandbox.balance(alice.public_key) == FUNDED - ONE_XLM - 100


def test_a_timeout_after_apply_answers_504_with_the_hash_and_the_payment_is_in_the_ledger(
    live_sandbox, funded, builder
):
    alice, bob = funded(2)
    envelope = payment(builder, alice, bob)
    live_sandbox.faults.add(FaultKind.TIMEOUT_AFTER_APPLY)
    response = httpx.post(f"{live_sandbox.url}/transactions", data={"tx": envelope.to_xdr()}, timeout=10)
    assert response.status_code == 504
    problem = response.json()
    assert problem["type"] == "https://stellar.org/horizon-errors/transaction_submission_timeout"
    assert problem["extras"]["hash"] == envelope.hash_hex()
    assert problem["extras"]["envelope_xdr"] == envelope.to_xdr()
    found = Server(live_sandbox.url).transactions().transaction(envelope.hash_hex()).call()
    assert found["successful"] is True


def test_more_faults_than_the_sdk_retries_leave_the_payment_unsent(live_sandbox, funded, builder):
    alice, bob = funded(2)
    envelope = payment(builder, alice, bob)
    server = Server(live_sandbox.url, client=RequestsClient(num_retries=3, backoff_factor=0.01))
    live_sandbox.faults.add(FaultKind.TIMEOUT_BEFORE_APPLY, count=4)  # the first try and three retries
    with pytest.raises(BadResponseError) as caught:
        server.submit_transaction(envelope)
    assert caught.value.status == 504
    with pytest.raises(NotFoundError):
        server.transactions().transaction(envelope.hash_hex()).call()
    assert live_sandbox.balance(bob.public_key) == FUNDED


def test_rate_limiting_answers_429_with_retry_after(live_sandbox, funded, builder):
    alice, bob = funded(2)
    live_sandbox.faults.add(FaultKind.RATE_LIMITED, retry_after=7)
    response = httpx.post(
        f"{live_sandbox.url}/transactions", data={"tx": payment(builder, alice, bob).to_xdr()}
    )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["type"] == "https://stellar.org/horizon-errors/rate_limit_exceeded"
    assert live_sandbox.balance(bob.public_key) == FUNDED


def test_latency_delays_the_answer(live_sandbox, server, funded, builder):
    alice, bob = funded(2)
    live_sandbox.faults.add(FaultKind.LATENCY, seconds=0.4)
    started = time.monotonic()
    assert server.submit_transaction(payment(builder, alice, bob))["successful"] is True
    assert time.monotonic() - started >= 0.4


def test_faults_can_be_injected_over_http(live_sandbox, funded, builder):
    alice, bob = funded(2)
    added = httpx.post(f"{live_sandbox.url}/_sandbox/faults", json={"kind": "unavailable", "count": 2})
    assert added.status_code == 200
    assert added.json()["pending"] == [{"kind": "unavailable", "count": 2, "seconds": 0.0, "retry_after": 1}]
    tx = payment(builder, alice, bob).to_xdr()
    statuses = [httpx.post(f"{live_sandbox.url}/transactions", data={"tx": tx}).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert httpx.post(f"{live_sandbox.url}/_sandbox/faults", json={"kind": "nonsense"}).status_code == 400


def test_a_submission_that_outwaits_the_timeout_gets_504_and_lands_when_the_ledger_closes(
    manual_sandbox: RunningSandbox,
):
    alice, bob = Keypair.random(), Keypair.random()
    manual_sandbox.fund(alice.public_key, bob.public_key)
    server = Server(manual_sandbox.url)
    envelope = (
        TransactionBuilder(server.load_account(alice.public_key), manual_sandbox.passphrase, 100)
        .append_payment_op(bob.public_key, Asset.native(), "1")
        .set_timeout(30)
        .build()
    )
    envelope.sign(alice)
    response = httpx.post(f"{manual_sandbox.url}/transactions", data={"tx": envelope.to_xdr()}, timeout=10)
    assert response.status_code == 504
    assert response.json()["extras"]["hash"] == envelope.hash_hex()
    ledger = manual_sandbox.close_ledger()
    assert server.transactions().transaction(envelope.hash_hex()).call()["ledger"] == ledger.sequence
    assert server.submit_transaction(envelope)["ledger"] == ledger.sequence
    assert manual_sandbox.balance(bob.public_key) == FUNDED + ONE_XLM
