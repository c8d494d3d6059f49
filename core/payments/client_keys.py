"""Idempotency keys of API clients: stored per client, shown to each client as it sent them.

Two clients choosing the same Idempotency-Key must never meet, so the API stores a key with a scope of
its client in front (``api:`` and 12 hex digits of the token subject's SHA-256). Keys from the CLI or
made up by the engine carry no scope. What the API answers shows the key without its scope (its
payment answers and history pages); the operators' CLI shows keys as stored.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

# history_view.py removes the same scope in SQL.
CLIENT_SCOPE_PATTERN: Final = "^api:[0-9a-f]{12}:"
_CLIENT_SCOPE: Final = re.compile(CLIENT_SCOPE_PATTERN)


def scoped_key(client: str, key: str) -> str:
    """The key as stored for this client (the token's subject)."""
    return f"api:{hashlib.sha256(client.encode()).hexdigest()[:12]}:{key}"


def unscoped_key(stored: str) -> str:
    """The key as its client sent it."""
    return _CLIENT_SCOPE.sub("", stored)
