"""Assets: the native lumen, or a credit asset named CODE:ISSUER."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stellar_sdk import Asset as SdkAsset
from stellar_sdk import StrKey

from paycrypt.core.errors import ValidationError

_CODE = re.compile(r"[A-Za-z0-9]{1,12}", re.ASCII)
_NATIVE_NAMES = frozenset({"native", "xlm"})


@dataclass(frozen=True)
class Asset:
    """``code`` and ``issuer`` are both None for the native asset."""

    code: str | None = None
    issuer: str | None = None

    @classmethod
    def native(cls) -> Asset:
        return cls()

    @classmethod
    def parse(cls, text: str, *, field: str = "asset") -> Asset:
        """ "native" or "XLM" (any case), or "CODE:ISSUER" with a 1-12 character code and a G... issuer."""
        cleaned = text.strip() if isinstance(text, str) else ""
        if cleaned.lower() in _NATIVE_NAMES:
            return cls.native()
        code, sep, issuer = cleaned.partition(":")
        if not sep or not _CODE.fullmatch(code) or not StrKey.is_valid_ed25519_public_key(issuer):
            raise ValidationError(
                f"{field} must be 'native' or CODE:ISSUER (a code of 1-12 letters or digits, a G... issuer)",
                code="asset_invalid",
                field=field,
            )
        return cls(code=code, issuer=issuer)

    @property
    def is_native(self) -> bool:
        return self.code is None

    @property
    def asset_type(self) -> str:
        """Horizon's name for the kind: native, credit_alphanum4 or credit_alphanum12."""
        if self.code is None:
            return "native"
        return "credit_alphanum4" if len(self.code) <= 4 else "credit_alphanum12"

    def to_sdk(self) -> SdkAsset:
        return SdkAsset.native() if self.code is None else SdkAsset(self.code, self.issuer)

    def __str__(self) -> str:
        return "native" if self.code is None else f"{self.code}:{self.issuer}"
