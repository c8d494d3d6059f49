"""The Horizon endpoints, through stellar-sdk's Server exactly as the payment engine uses them."""

from __future__ import annotations

import httpx
import pytest
from stellar_sdk import Asset, Keypair, Server, TransactionBuilder
from stellar_sdk.exceptions import BadRequestError, NotFoundError

from paycrypt.core.settings import SANDBOX_PASSPHRASE
from paycrypt.sandbox.testing import RunningSandbox, running_sandbox

TEN_THOUSAND_XLM = "10000.0000000"


def native_balance(server: Server, account_id: str) -> str:
    balances = server.accounts().account_id(account_id).call()["balances"]
    return next(b["balance"] for b in balances if b["asset_type"] == "native")


def test_root_names_the_sandbox_network_and_its_latest_ledger(server):
    root = server.root().call()
    assert root["network_passphrase"] == SANDBOX_PASSPHRASE
    assert root["history_latest_ledger"] >= 1
    assert root["core_latest_ledger"] == root["history_latest_ledger"]
    assert root["history_latest_ledger_closed_at"].endswith("Z")


def test_friendbot_creates_an_account_with_ten_thousand_lumens(live_sandbox, server):
    newcomer = Keypair.random()
    response = httpx.get(f"{live_sandbox.url}/friendbot", params={"addr": newcomer.public_key}, timeout=10)
    assert response.status_code == 200
    assert response.json()["successful"] is True
    assert native_balance(server, newcomer.public_key) == TEN_THOUSAND_XLM


def test_friendbot_refuses_an_account_that_already_exists(live_sandbox, funded):
    (existing,) = funded(1)
    response = httpx.get(f"{live_sandbox.url}/friendbot", params={"addr": existing.public_key}, timeout=10)
    assert response.status_code == 400
    assert response.json()["type"] == "https://stellar.org/horizon-errors/bad_request"


def test_friendbot_refuses_an_address_that_is_not_an_account(live_sandbox):
    response = httpx.get(f"{live_sandbox.url}/friendbot", params={"addr": "GNOTANADDRESS"}, timeout=10)
    assert response.status_code == 400


def test_load_account_gives_a_new_account_the_sequence_of_its_ledger_shifted_32_bits(server, funded):
    (alice,) = funded(1)
    account = server.load_account(alice.public_key)
    created_in = server.accounts().account_id(alice.public_key).call()["last_modified_ledger"]
    assert account.sequence == created_in << 32


def test_an_account_body_has_horizon_shape_with_data_always_present(server, funded):
    (alice,) = funded(1)
    body = server.accounts().account_id(alice.public_key).call()
    assert body["data"] == {}
    assert body["sequence"] == str(int(body["sequence"]))
    assert body["thresholds"] == {"low_threshold": 0, "med_threshold": 0, "high_threshold": 0}
    assert body["signers"] == [{"weight": 1, "key": alice.public_key, "type": "ed25519_public_key"}]
    assert body["subentry_count"] == 0


def test_an_unknown_account_is_not_found(server):
    with pytest.raises(NotFoundError) as caught:
        server.load_account(Keypair.random().public_key)
    assert caught.value.type == "https://stellar.org/horizon-errors/not_found"


def test_a_payment_moves_the_amount_and_charges_the_base_fee(server, funded, builder):
    alice, bob = funded(2)
    envelope = builder(alice).append_payment_op(bob.public_key, Asset.native(), "12.5").build()
    envelope.sign(alice)
    response = server.submit_transaction(envelope)
    assert response["successful"] is True
    assert response["fee_charged"] == "100"
    assert native_balance(server, bob.public_key) == "10012.5000000"
    assert native_balance(server, alice.public_key) == "9987.4999900"


def test_a_transaction_is_found_by_hash_once_its_ledger_closed(manual_sandbox):
    server = Server(manual_sandbox.url)
    alice = Keypair.random()
    manual_sandbox.fund(alice.public_key)
    account = server.load_account(alice.public_key)
    envelope = (
        TransactionBuilder(account, manual_sandbox.passphrase, base_fee=100)
        .append_manage_data_op("greeting", "hello")
        .set_timeout(30)
        .build()
    )
    envelope.sign(alice)
    accepted = server.submit_transaction_async(envelope)
    assert accepted["tx_status"] == "PENDING"
    with pytest.raises(NotFoundError):
        server.transactions().transaction(accepted["hash"]).call()
    ledger = manual_sandbox.close_ledger()
    found = server.transactions().transaction(accepted["hash"]).call()
    assert found["ledger"] == ledger.sequence
    assert found["successful"] is True
    assert server.accounts().account_id(alice.public_key).call()["data"] == {"greeting": "aGVsbG8="}


def test_fetch_base_fee_reads_the_newest_ledger(server):
    assert server.fetch_base_fee() == 100
    newest = server.ledgers().order(desc=True).limit(1).call()["_embedded"]["records"][0]
    assert newest["base_reserve_in_stroops"] == 5_000_000
    assert newest["max_tx_set_size"] == 1000


def test_ledgers_page_forward_with_the_next_link(server):
    first = server.ledgers().order(desc=False).limit(2).call()
    sequences = [record["sequence"] for record in first["_embedded"]["records"]]
    assert sequences == [1, 2]
    following = (
        server.ledgers().order(desc=False).limit(2).cursor(first["_embedded"]["records"][-1]["paging_token"])
    )
    assert [record["sequence"] for record in following.call()["_embedded"]["records"]] == [3, 4]
    assert "cursor=" in first["_links"]["next"]["href"]
    assert "order=desc" in first["_links"]["prev"]["href"]


def test_a_bad_limit_is_a_bad_request(server):
    with pytest.raises(BadRequestError):
        server.ledgers().limit(500).call()


def test_fee_stats_values_are_all_strings(server):
    stats = server.fee_stats().call()
    assert stats["last_ledger_base_fee"] == "100"
    assert 0 <= float(stats["ledger_capacity_usage"]) <= 1
    for group in ("fee_charged", "max_fee"):
        assert set(stats[group]) >= {"max", "min", "mode", "p10", "p50", "p90", "p95", "p99"}
        assert all(isinstance(value, str) for value in stats[group].values())


def test_payments_and_transactions_are_listed_for_the_accounts_involved(server, funded, builder):
    alice, bob = funded(2)
    for amount in ("1", "2", "3"):
        envelope = builder(alice).append_payment_op(bob.public_key, Asset.native(), amount).build()
        envelope.sign(alice)
        server.submit_transaction(envelope)
    payments = server.payments().for_account(bob.public_key).order(desc=True).limit(3).call()
    amounts = [record.get("amount") for record in payments["_embedded"]["records"]]
    assert amounts == ["3.0000000", "2.0000000", "1.0000000"]
    oldest = server.payments().for_account(bob.public_key).order(desc=False).limit(1).call()
    assert oldest["_embedded"]["records"][0]["type"] == "create_account"
    sent = server.transactions().for_account(alice.public_key).order(desc=True).limit(10).call()
    assert len(sent["_embedded"]["records"]) == 4  # three payments and friendbot's create_account


def test_admin_routes_are_off_unless_asked_for():
    with (
        running_sandbox(ledger_close_seconds=None, admin=False) as sandbox,
        httpx.Client(base_url=sandbox.url) as client,
    ):
        assert client.post("/_sandbox/close").status_code == 404
        assert client.post("/_sandbox/faults", json={"kind": "unavailable"}).status_code == 404
        assert client.get("/").status_code == 200


def test_admin_close_route_closes_a_ledger(manual_sandbox: RunningSandbox):
    before = manual_sandbox.ledger.latest.sequence
    response = httpx.post(f"{manual_sandbox.url}/_sandbox/close", timeout=10)
    assert response.status_code == 200
    assert response.json()["sequence"] == before + 1
