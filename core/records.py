"""Records the engine keeps about accounts: tags and sealed signing keys. Plain data, no storage code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from paycrypt.core.values import AccountAddress, Memo, Tag


@dataclass(frozen=True)
class TagRecord:
    """A tag, the account it names, the memo that goes with it, and whether PayCrypt can sign for it."""

    tag: Tag
    account: AccountAddress
    memo: Memo
    custodial: bool
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The public view (CLI --json, later the API): no key material exists here to leak."""
        return {
            "tag": self.tag.value,
            "account": self.account.address,
            "account_id": self.account.account_id,
            "muxed_id": self.account.muxed_id,
            "memo_type": self.memo.stored_type,
            "memo": self.memo.value,
            "custodial": self.custodial,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class SealedSeed:
    """An encrypted signing seed and the fingerprint of the master key that sealed it."""

    account_id: str
    token: str
    master_key_id: str

    def __repr__(self) -> str:
        # The token is ciphertext, but there is no reason to spread it through logs either.
        return f"SealedSeed(account_id={self.account_id!r}, master_key_id={self.master_key_id!r})"
