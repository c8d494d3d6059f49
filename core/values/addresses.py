"""Names for accounts: PayCrypt tags, Stellar addresses (G... and muxed M...), federation addresses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from stellar_sdk import MuxedAccount, StrKey

from paycrypt.core.errors import ValidationError

TAG_MIN: Final = 3
TAG_MAX: Final = 32
_TAG = re.compile(r"[a-z0-9_.\-]{3,32}", re.ASCII)
# A DNS name with an optional port (a port is only useful against a local test server).
_DOMAIN = re.compile(
    r"(?=.{1,253}(:|$))[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*(?::[0-9]{1,5})?",
    re.ASCII,
)


@dataclass(frozen=True, order=True)
class Tag:
    """A PayCrypt name for an account: 3-32 of a-z 0-9 _ . - (input is lower-cased first)."""

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not _TAG.fullmatch(self.value):
            raise ValidationError(
                f"a tag is {TAG_MIN}-{TAG_MAX} characters of a-z, 0-9, '_', '.' or '-'",
                code="tag_invalid",
                field="tag",
            )

    @classmethod
    def parse(cls, text: str, *, field: str = "tag") -> Tag:
        cleaned = text.strip().lower() if isinstance(text, str) else ""
        if not _TAG.fullmatch(cleaned):
            raise ValidationError(
                f"{field}: a tag is {TAG_MIN}-{TAG_MAX} characters of a-z, 0-9, '_', '.' or '-'",
                code="tag_invalid",
                field=field,
            )
        return cls(cleaned)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class AccountAddress:
    """A Stellar account as given (G... or muxed M...), its G... account and the muxed id if any."""

    address: str
    account_id: str
    muxed_id: int | None = None

    @classmethod
    def parse(cls, text: str, *, field: str = "destination") -> AccountAddress:
        """Checks the StrKey checksum. The refused value is never echoed: it may be a pasted secret seed."""
        cleaned = text.strip() if isinstance(text, str) else ""
        if StrKey.is_valid_ed25519_public_key(cleaned):
            return cls(address=cleaned, account_id=cleaned)
        if StrKey.is_valid_med25519_public_key(cleaned):
            muxed = MuxedAccount.from_account(cleaned)
            return cls(address=cleaned, account_id=muxed.account_id, muxed_id=muxed.account_muxed_id)
        hint = " (that looks like a secret seed: never share it)" if cleaned.startswith("S") else ""
        raise ValidationError(
            f"{field}: not a valid Stellar account (a G... or M... address with a correct checksum){hint}",
            code="destination_invalid",
            field=field,
        )

    @classmethod
    def stored(cls, text: str) -> AccountAddress:
        """An address read back from PayCrypt's own database, where only checked addresses are written: a
        G... address is taken as it is (its checksum was verified on the way in)."""
        if len(text) == 56 and text.startswith("G"):
            return cls(address=text, account_id=text)
        return cls.parse(text, field="account")

    @property
    def is_muxed(self) -> bool:
        return self.muxed_id is not None

    def __str__(self) -> str:
        return self.address


@dataclass(frozen=True)
class FederationAddress:
    """A SEP-2 address ``name*domain``; the domain is kept lower-case."""

    name: str
    domain: str

    @classmethod
    def parse(cls, text: str, *, field: str = "destination") -> FederationAddress:
        cleaned = text.strip() if isinstance(text, str) else ""
        name, sep, domain = cleaned.partition("*")
        if (
            not sep
            or not name
            or "*" in domain
            or any(c.isspace() for c in name)
            or not _DOMAIN.fullmatch(domain)
        ):
            raise ValidationError(
                f"{field}: a federation address is name*domain, such as alice*example.com",
                code="destination_invalid",
                field=field,
            )
        return cls(name=name, domain=domain.lower())

    def __str__(self) -> str:
        return f"{self.name}*{self.domain}"
