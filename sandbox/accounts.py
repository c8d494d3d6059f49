"""Ledger entries held by the sandbox: accounts with their trustlines, signers and data entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, NamedTuple

MAX_SIGNERS: Final = 20
# Account flags, as in stellar-core's AccountFlags.
AUTH_REQUIRED: Final = 0x1
AUTH_REVOCABLE: Final = 0x2
AUTH_IMMUTABLE: Final = 0x4
AUTH_CLAWBACK_ENABLED: Final = 0x8
KNOWN_FLAGS: Final = AUTH_REQUIRED | AUTH_REVOCABLE | AUTH_IMMUTABLE | AUTH_CLAWBACK_ENABLED


class CreditAsset(NamedTuple):
    """A credit asset (alphanum4 or alphanum12); the native asset is written as None."""

    code: str
    issuer: str

    @property
    def asset_type(self) -> str:
        return "credit_alphanum4" if len(self.code) <= 4 else "credit_alphanum12"


@dataclass(slots=True)
class Trustline:
    limit: int
    balance: int = 0
    last_modified_ledger: int = 0


@dataclass(slots=True)
class Account:
    account_id: str
    balance: int
    sequence: int
    last_modified_ledger: int = 0
    master_weight: int = 1
    low_threshold: int = 0
    med_threshold: int = 0
    high_threshold: int = 0
    flags: int = 0
    home_domain: str = ""
    inflation_destination: str | None = None
    signers: dict[str, int] = field(default_factory=dict)
    data: dict[str, bytes] = field(default_factory=dict)
    trustlines: dict[CreditAsset, Trustline] = field(default_factory=dict)

    @property
    def subentry_count(self) -> int:
        return len(self.signers) + len(self.data) + len(self.trustlines)

    def minimum_balance(self, base_reserve: int, extra_subentries: int = 0) -> int:
        """(2 + subentries) x base reserve; the sandbox has no sponsorships and no offers (no liabilities)."""
        return (2 + self.subentry_count + extra_subentries) * base_reserve

    def available_balance(self, base_reserve: int) -> int:
        return self.balance - self.minimum_balance(base_reserve)

    def signer_weights(self) -> dict[str, int]:
        """Every key that may sign for this account, the master key included while its weight is above 0."""
        weights = dict(self.signers)
        if self.master_weight > 0:
            weights[self.account_id] = self.master_weight
        return weights

    def clone(self) -> Account:
        """A copy that a transaction may change without touching the ledger until it commits."""
        return Account(
            account_id=self.account_id,
            balance=self.balance,
            sequence=self.sequence,
            last_modified_ledger=self.last_modified_ledger,
            master_weight=self.master_weight,
            low_threshold=self.low_threshold,
            med_threshold=self.med_threshold,
            high_threshold=self.high_threshold,
            flags=self.flags,
            home_domain=self.home_domain,
            inflation_destination=self.inflation_destination,
            signers=dict(self.signers),
            data=dict(self.data),
            trustlines={
                asset: Trustline(line.limit, line.balance, line.last_modified_ledger)
                for asset, line in self.trustlines.items()
            },
        )
