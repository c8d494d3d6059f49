"""--state: the ledger survives a restart, and a file from another network is refused."""

from __future__ import annotations

import json

import httpx
import pytest
from stellar_sdk import Asset, Keypair

from paycrypt.sandbox.state_file import StateFileError, load_ledger, save_ledger
from paycrypt.sandbox.testing import running_sandbox


def test_a_saved_ledger_loads_back_with_accounts_history_and_queue(driver, tmp_path):
    issuer, alice, bob = driver.fund(3)
    usd = Asset("USD", issuer.public_key)
    trust = driver.ledger.submit(driver.sign(driver.builder(alice).append_change_trust_op(usd, "50"), alice))
    data = driver.ledger.submit(driver.sign(driver.builder(bob).append_manage_data_op("k", b"\x00\x01"), bob))
    driver.ledger.close()
    queued = driver.ledger.submit(driver.payment(bob, alice.public_key, 10**7))
    path = tmp_path / "state.json"
    save_ledger(driver.ledger, path)

    loaded = load_ledger(path, driver.ledger.passphrase, 1000)
    assert loaded.latest == driver.ledger.latest
    assert loaded.accounts == driver.ledger.accounts
    assert loaded.fee_pool == driver.ledger.fee_pool
    assert loaded.transaction(trust.hash) == driver.ledger.transaction(trust.hash)
    reloaded = loaded.transaction(data.hash)
    assert reloaded is not None and reloaded.successful
    assert queued.hash in loaded.pending
    assert loaded.history.payments_of(alice.public_key) == driver.ledger.history.payments_of(alice.public_key)
    assert loaded.total_native() + loaded.fee_pool == driver.ledger.total_native() + driver.ledger.fee_pool


def test_a_state_file_of_another_network_is_refused(driver, tmp_path):
    path = tmp_path / "state.json"
    save_ledger(driver.ledger, path)
    with pytest.raises(StateFileError, match="another network"):
        load_ledger(path, "Test SDF Network ; September 2015", 1000)


def test_a_broken_state_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(StateFileError, match=r"state\.json"):
        load_ledger(path, "x", 1000)


def test_the_running_sandbox_keeps_its_ledger_across_a_restart(tmp_path):
    path = tmp_path / "sandbox-state.json"
    alice = Keypair.random()
    with running_sandbox(ledger_close_seconds=None, state_path=path) as first:
        first.fund(alice.public_key)
        latest = first.ledger.latest.sequence
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == 1
    with running_sandbox(ledger_close_seconds=None, state_path=path) as second:
        assert second.balance(alice.public_key) == 10_000 * 10**7
        assert second.ledger.latest.sequence == latest
        body = httpx.get(f"{second.url}/accounts/{alice.public_key}").json()
        assert body["id"] == alice.public_key
