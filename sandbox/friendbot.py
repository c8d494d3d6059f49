"""Friendbot: funds new accounts from the root account, as testnet's friendbot does.

Requests wait for the next ledger. At each close, up to 100 waiting addresses become one transaction of
create_account operations from the root account (one transaction per source per ledger holds for root
too); it bids a high fee so that it goes first and does not lose its place to a busy queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from stellar_sdk import Account as SdkAccount
from stellar_sdk import TransactionBuilder

from paycrypt.sandbox.amounts import format_amount, lumens
from paycrypt.sandbox.ledger import Ledger, root_keypair

STARTING_BALANCE: Final = lumens(10_000)
BATCH_SIZE: Final = 100
BID_PER_OPERATION: Final = 10_000


@dataclass(frozen=True, slots=True)
class FundingBatch:
    envelope_xdr: str  # empty when every taken address turned out to exist already
    funded: list[str]
    already_funded: list[str]


class Friendbot:
    def __init__(self, ledger: Ledger, starting_balance: int = STARTING_BALANCE) -> None:
        self._ledger = ledger
        self._keypair = root_keypair(ledger.passphrase)
        self._starting_balance = starting_balance
        self._waiting: dict[str, None] = {}  # addresses in arrival order

    def request(self, address: str) -> None:
        self._waiting[address] = None

    def build_batch(self) -> FundingBatch | None:
        """The signed envelope funding the next waiting addresses; None when nobody waits."""
        root = self._ledger.account(self._keypair.public_key)
        if not self._waiting or root is None or self._ledger.has_pending_from(root.account_id):
            return None
        taken = list(self._waiting)[:BATCH_SIZE]
        for address in taken:
            del self._waiting[address]
        addresses = [address for address in taken if self._ledger.account(address) is None]
        skipped = [address for address in taken if self._ledger.account(address) is not None]
        if not addresses:
            return FundingBatch("", [], skipped)
        builder = TransactionBuilder(
            SdkAccount(self._keypair.public_key, root.sequence),
            self._ledger.passphrase,
            base_fee=BID_PER_OPERATION,
        )
        amount = format_amount(self._starting_balance)
        for address in addresses:
            builder.append_create_account_op(address, amount)
        envelope = builder.set_timeout(300).build()
        envelope.sign(self._keypair)
        return FundingBatch(envelope.to_xdr(), addresses, skipped)
