"""Values that must never be shown: a wrapper whose repr and str are redacted, and a log filter."""

from __future__ import annotations

import logging
import re
from typing import Final

REDACTED: Final = "**********"

# A Stellar secret seed: 'S' + 55 base32 characters (StrKey, ed25519 seed).
STELLAR_SEED_PATTERN: Final = re.compile(r"\bS[A-Z2-7]{55}\b")


class Secret:
    """Holds a secret string; only ``reveal()`` gives the value back.

    ``repr``/``str``/format never show it, so a Settings object can be printed or logged safely.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{REDACTED}')"

    def __str__(self) -> str:
        return REDACTED

    def __format__(self, spec: str) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


def redact(text: str, known_secrets: tuple[str, ...] = ()) -> str:
    """Masks anything that looks like a Stellar seed, and every known secret value, in ``text``."""
    text = STELLAR_SEED_PATTERN.sub(REDACTED, text)
    for value in known_secrets:
        if value and len(value) >= 4:
            text = text.replace(value, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """Second line of defence: masks seeds and configured secrets in every log record it sees."""

    def __init__(self, known_secrets: tuple[str, ...] = ()):
        super().__init__()
        self._known = known_secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self._known)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks are formatted later from exc_info; pre-render and redact them now.
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted, self._known)
            record.exc_info = None
            record.msg = f"{record.msg}\n{record.exc_text}"
            record.exc_text = None
        return True
