"""The operations the sandbox understands, as plain values decoded from the envelope."""

from __future__ import annotations

from dataclasses import dataclass

from paycrypt.sandbox.accounts import CreditAsset
from paycrypt.sandbox.results import OpType


@dataclass(frozen=True, slots=True)
class CreateAccount:
    source: str | None
    destination: str
    starting_balance: int
    op_type: int = OpType.CREATE_ACCOUNT


@dataclass(frozen=True, slots=True)
class Payment:
    source: str | None
    destination: str
    asset: CreditAsset | None  # None: the native asset
    amount: int
    op_type: int = OpType.PAYMENT


@dataclass(frozen=True, slots=True)
class ChangeTrust:
    source: str | None
    asset: CreditAsset | None
    limit: int
    op_type: int = OpType.CHANGE_TRUST


@dataclass(frozen=True, slots=True)
class SetOptions:
    source: str | None
    inflation_destination: str | None = None
    clear_flags: int | None = None
    set_flags: int | None = None
    master_weight: int | None = None
    low_threshold: int | None = None
    med_threshold: int | None = None
    high_threshold: int | None = None
    home_domain: str | None = None
    signer_key: str | None = None
    signer_weight: int | None = None
    signer_is_ed25519: bool = True
    op_type: int = OpType.SET_OPTIONS

    @property
    def needs_high_threshold(self) -> bool:
        """Changing signers, the master weight or thresholds takes the high threshold; the rest medium."""
        return (
            self.signer_weight is not None
            or self.master_weight is not None
            or self.low_threshold is not None
            or self.med_threshold is not None
            or self.high_threshold is not None
        )


@dataclass(frozen=True, slots=True)
class ManageData:
    source: str | None
    name: str
    value: bytes | None  # None deletes the entry
    op_type: int = OpType.MANAGE_DATA


@dataclass(frozen=True, slots=True)
class AccountMerge:
    source: str | None
    destination: str
    op_type: int = OpType.ACCOUNT_MERGE


@dataclass(frozen=True, slots=True)
class Unsupported:
    """Any other operation type: refused with op_not_supported."""

    source: str | None
    op_type: int


Operation = CreateAccount | Payment | ChangeTrust | SetOptions | ManageData | AccountMerge | Unsupported
