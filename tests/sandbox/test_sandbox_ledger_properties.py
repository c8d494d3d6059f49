"""Property tests on the ledger core: whatever mix of valid and invalid transactions arrives,
no lumen is created or lost (balances plus burned fees stay constant), no account ends a ledger below
its minimum balance, and sequence numbers only grow."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stellar_sdk import Asset, Keypair

from paycrypt.sandbox.ledger import TOTAL_COINS, AdmissionStatus

ACCOUNTS = 5
KINDS = (
    "pay",
    "create",
    "merge",
    "trust",
    "credit",
    "data",
    "signer",
    "bad_seq",
    "bad_sig",
    "low_fee",
    "channel",
)


@dataclass(frozen=True)
class Action:
    kind: str
    source: int
    target: int  # ACCOUNTS means a brand-new address
    stroops: int
    close_after: bool


actions = st.builds(
    Action,
    kind=st.sampled_from(KINDS),
    source=st.integers(0, ACCOUNTS - 1),
    target=st.integers(0, ACCOUNTS),
    stroops=st.integers(1, 30 * 10**7),
    close_after=st.booleans(),
)


def amount(stroops: int) -> str:
    return f"{stroops // 10**7}.{stroops % 10**7:07d}"


def envelope_for(driver, action: Action, keypairs: list[Keypair]) -> str:
    source = keypairs[action.source]
    target = keypairs[action.target].public_key if action.target < ACCOUNTS else Keypair.random().public_key
    usd = Asset("USD", keypairs[0].public_key)
    fee = 50 if action.kind == "low_fee" else 100
    sequence = driver.sequence(source.public_key) + (3 if action.kind == "bad_seq" else 0)
    builder = driver.builder(source, fee=fee, sequence=sequence)
    signers = [Keypair.random()] if action.kind == "bad_sig" else [source]
    if action.kind in ("pay", "bad_seq", "bad_sig", "low_fee"):
        builder.append_payment_op(target, Asset.native(), amount(action.stroops))
    elif action.kind == "create":
        builder.append_create_account_op(target, amount(action.stroops))
    elif action.kind == "merge":
        builder.append_account_merge_op(target)
    elif action.kind == "trust":
        builder.append_change_trust_op(usd, limit=amount(action.stroops))
    elif action.kind == "credit":
        builder.append_payment_op(target, usd, amount(action.stroops))
    elif action.kind == "data":
        builder.append_manage_data_op(f"k{action.stroops % 3}", None if action.stroops % 2 else b"v")
    elif action.kind == "signer":
        builder.append_ed25519_public_key_signer(Keypair.random().public_key, weight=1)
    elif action.kind == "channel":
        funds = keypairs[(action.source + 1) % ACCOUNTS]
        builder.append_payment_op(target, Asset.native(), amount(action.stroops), source=funds.public_key)
        signers.append(funds)
    return driver.sign(builder, *signers)


class Observer:
    """Checks the invariants after every ledger and remembers the highest sequence seen per account."""

    def __init__(self, ledger) -> None:
        self.ledger = ledger
        self.sequences: dict[str, int] = {}

    def check(self) -> None:
        ledger = self.ledger
        assert ledger.total_native() + ledger.fee_pool == TOTAL_COINS
        for account_id, account in ledger.accounts.items():
            assert account.balance >= account.minimum_balance(ledger.base_reserve), account_id
            assert account.sequence >= self.sequences.get(account_id, 0), account_id
            self.sequences[account_id] = account.sequence
            for line in account.trustlines.values():
                assert 0 <= line.balance <= line.limit
        hashes = [tx.hash for tx in ledger.history.all_transactions]
        assert len(hashes) == len(set(hashes))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(actions, min_size=1, max_size=14))
def test_lumens_are_conserved_reserves_hold_and_sequences_only_grow(make_driver, steps):
    driver = make_driver()
    keypairs = driver.fund(ACCOUNTS, lumens=20)
    observer = Observer(driver.ledger)
    observer.check()
    for step in steps:
        admission = driver.ledger.submit(envelope_for(driver, step, keypairs))
        if admission.status is AdmissionStatus.TRY_AGAIN_LATER:
            driver.ledger.close()
            observer.check()
            admission = driver.ledger.submit(envelope_for(driver, step, keypairs))
        assert admission.status is not AdmissionStatus.MALFORMED
        if step.close_after:
            driver.ledger.close()
            observer.check()
    driver.ledger.close()
    observer.check()
    assert not driver.ledger.pending


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(actions, min_size=1, max_size=10))
def test_a_resubmitted_envelope_is_never_applied_twice(make_driver, steps):
    driver = make_driver()
    keypairs = driver.fund(ACCOUNTS, lumens=20)
    applied_before = len(driver.ledger.history.all_transactions)
    accepted = 0
    for step in steps:
        envelope = envelope_for(driver, step, keypairs)
        first = driver.ledger.submit(envelope)
        accepted += first.status is AdmissionStatus.PENDING
        driver.ledger.close()
        again = driver.ledger.submit(envelope)
        if first.status is AdmissionStatus.PENDING:
            assert again.status is AdmissionStatus.APPLIED
            assert again.record == driver.ledger.transaction(first.hash)
        driver.ledger.close()
    assert len(driver.ledger.history.all_transactions) == applied_before + accepted
