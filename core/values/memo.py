"""Transaction memos: none, text (at most 28 bytes of UTF-8), id (uint64) or hash (32 bytes, as hex)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from stellar_sdk import HashMemo, IdMemo, NoneMemo, TextMemo
from stellar_sdk import Memo as SdkMemo

from paycrypt.core.errors import ValidationError

MAX_TEXT_BYTES: Final = 28
MAX_ID: Final = 2**64 - 1
_DIGITS = re.compile(r"[0-9]{1,20}", re.ASCII)
_HEX_HASH = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)


class MemoType(StrEnum):
    NONE = "none"
    TEXT = "text"
    ID = "id"
    HASH = "hash"


@dataclass(frozen=True)
class Memo:
    """``value`` is the memo as text: the text itself, the id in decimal, or the hash in lower-case hex."""

    type: MemoType = MemoType.NONE
    value: str | None = None

    @classmethod
    def none(cls) -> Memo:
        return cls()

    @classmethod
    def parse(cls, value: str | None, memo_type: str | None = None, *, field: str = "memo") -> Memo:
        """A memo from user input; the type defaults to text when a value is given."""
        kind = _memo_type(memo_type, field) if memo_type else (MemoType.TEXT if value else MemoType.NONE)
        if kind is MemoType.NONE:
            if value:
                raise ValidationError(
                    f"{field}: a value was given with memo type 'none'", code="memo_invalid", field=field
                )
            return cls.none()
        if value is None or value == "":
            raise ValidationError(
                f"{field}: memo type {kind} needs a value", code="memo_invalid", field=field
            )
        if kind is MemoType.TEXT:
            if len(value.encode("utf-8")) > MAX_TEXT_BYTES:
                raise ValidationError(
                    f"{field}: a text memo holds at most {MAX_TEXT_BYTES} bytes of UTF-8",
                    code="memo_too_long",
                    field=field,
                )
            return cls(MemoType.TEXT, value)
        if kind is MemoType.ID:
            if not _DIGITS.fullmatch(value) or int(value) > MAX_ID:
                raise ValidationError(
                    f"{field}: an id memo is a whole number from 0 to {MAX_ID}",
                    code="memo_invalid",
                    field=field,
                )
            return cls(MemoType.ID, str(int(value)))
        if not _HEX_HASH.fullmatch(value):
            raise ValidationError(
                f"{field}: a hash memo is 32 bytes written as 64 hex characters",
                code="memo_invalid",
                field=field,
            )
        return cls(MemoType.HASH, value.lower())

    @classmethod
    def from_federation(cls, memo_type: str | None, memo: str | None) -> Memo:
        """A memo from a SEP-2 answer, where a hash memo is base64 (some servers send hex; both are read)."""
        if not memo_type:
            return cls.none()
        if memo_type == MemoType.HASH and memo is not None and not _HEX_HASH.fullmatch(memo):
            try:
                raw = base64.b64decode(memo, validate=True)
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 32:
                raise ValidationError(
                    "the federation server answered a hash memo that is not 32 bytes",
                    code="memo_invalid",
                    field="memo",
                )
            memo = raw.hex()
        return cls.parse(memo, memo_type)

    @property
    def is_none(self) -> bool:
        return self.type is MemoType.NONE

    @property
    def stored_type(self) -> str | None:
        """The memo_type column: NULL for no memo."""
        return None if self.type is MemoType.NONE else self.type.value

    def to_sdk(self) -> SdkMemo:
        if self.type is MemoType.TEXT:
            return TextMemo(self.value or "")
        if self.type is MemoType.ID:
            return IdMemo(int(self.value or 0))
        if self.type is MemoType.HASH:
            return HashMemo(bytes.fromhex(self.value or ""))
        return NoneMemo()

    def __str__(self) -> str:
        return "none" if self.type is MemoType.NONE else f"{self.type}:{self.value}"


def _memo_type(text: str, field: str) -> MemoType:
    try:
        return MemoType(text.strip().lower())
    except ValueError:
        raise ValidationError(
            f"{field}: memo type must be none, text, id or hash", code="memo_invalid", field=f"{field}_type"
        ) from None
