"""API tokens: JWTs with a pinned algorithm, required exp/iat/sub, checked issuer and audience, and scopes.

A token's ``scope`` claim (space-separated, as in OAuth 2) says what it may do; role scopes (viewer, ops,
manager, admin) become :class:`~paycrypt.core.access.Role` for control actions, which core/access.py
authorises. An optional ``tags`` claim limits a client to the tags it acts for.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import jwt

from paycrypt.api.errors import Unauthorized
from paycrypt.core.access import Role
from paycrypt.core.errors import ConfigError, PermissionDenied, ValidationError
from paycrypt.core.settings import Settings
from paycrypt.core.values import Tag

PAYMENTS_READ: Final = "payments:read"
PAYMENTS_WRITE: Final = "payments:write"
TAGS_WRITE: Final = "tags:write"
ROLE_SCOPES: Final = {role.value: role for role in Role}
SCOPES: Final = frozenset({PAYMENTS_READ, PAYMENTS_WRITE, TAGS_WRITE, *ROLE_SCOPES})
# Highest first: a token with several role scopes acts with the strongest.
_ROLE_ORDER: Final = (Role.ADMIN, Role.OPS, Role.MANAGER, Role.VIEWER)
MAX_TTL_SECONDS: Final = 90 * 86400
_SUBJECT = re.compile(r"[A-Za-z0-9@._:+\-]{1,128}", re.ASCII)
CLOCK_LEEWAY_SECONDS: Final = 30


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the verified token says."""

    subject: str
    scopes: frozenset[str]
    tags: frozenset[str] | None = None  # None: every tag
    token_id: str | None = None

    def has(self, scope: str) -> bool:
        return Role.ADMIN.value in self.scopes or scope in self.scopes

    @property
    def role(self) -> Role | None:
        return next((role for role in _ROLE_ORDER if role.value in self.scopes), None)

    def check_tag(self, tag: str) -> None:
        """Refuses a tag this token does not act for (403, naming the tag as it was given)."""
        if self.tags is None or Role.ADMIN.value in self.scopes:
            return
        try:
            name = Tag.parse(tag).value
        except ValidationError:
            return  # an invalid tag is refused by the service with its own message
        if name not in self.tags:
            raise PermissionDenied(f"this token may not act for tag '{name}'", code="tag_forbidden")

    def may_see(self, *tags: str | None) -> bool:
        if self.tags is None or Role.ADMIN.value in self.scopes:
            return True
        return any(t in self.tags for t in tags if t)


@dataclass(frozen=True)
class TokenKeys:
    algorithm: str
    verify_key: str
    signing_key: str | None
    issuer: str
    audience: str

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenKeys:
        api = settings.api
        if api.asymmetric:
            assert api.jwt_public_key is not None  # checked when the settings were read
            signing = api.jwt_private_key.reveal() if api.jwt_private_key is not None else None
            return cls(api.jwt_algorithm, api.jwt_public_key, signing, api.jwt_issuer, api.jwt_audience)
        secret = settings.jwt_secret.reveal()
        return cls(api.jwt_algorithm, secret, secret, api.jwt_issuer, api.jwt_audience)


class TokenVerifier:
    """Verifies tokens, and remembers the last ``remembered`` valid ones until they expire.

    A client sends the same token with every request; checking its signature and claims once is
    enough, since nothing that decided it can change but the time, and its expiry is checked at every
    use (with the same leeway). Only tokens that passed every check are remembered, by their full text."""

    def __init__(self, keys: TokenKeys, *, remembered: int = 1024):
        self._keys = keys
        self._remembered = remembered
        self._valid: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()  # guards and routes may run in worker threads

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; else Unauthorized, never saying more than why in a few words."""
        with self._lock:
            known = self._valid.get(token)
            if known is not None:
                self._valid.move_to_end(token)
        if known is not None:
            principal, expires = known
            if time.time() < expires + CLOCK_LEEWAY_SECONDS:
                return principal
            with self._lock:
                self._valid.pop(token, None)
        principal, expires = self._check(token)
        with self._lock:
            self._valid[token] = (principal, expires)
            while len(self._valid) > self._remembered:
                self._valid.popitem(last=False)
        return principal

    def _check(self, token: str) -> tuple[Principal, float]:
        """Every check of the token, and when it expires."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._keys.verify_key,
                algorithms=[self._keys.algorithm],  # pinned: "none" and algorithm confusion are refused
                audience=self._keys.audience,
                issuer=self._keys.issuer,
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired", code="token_expired") from None
        except jwt.PyJWTError:
            raise Unauthorized("the token is not valid", code="token_invalid") from None
        return _principal(claims), float(claims["exp"])


def _principal(claims: dict[str, Any]) -> Principal:
    subject, scope, tags = claims.get("sub"), claims.get("scope", ""), claims.get("tags")
    if not isinstance(subject, str) or not _SUBJECT.fullmatch(subject) or not isinstance(scope, str):
        raise Unauthorized("the token is not valid", code="token_invalid")
    if tags is not None and (not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)):
        raise Unauthorized("the token is not valid", code="token_invalid")
    jti = claims.get("jti")
    return Principal(
        subject=subject,
        scopes=frozenset(s for s in scope.split() if s in SCOPES),
        tags=frozenset(tags) if tags is not None else None,
        token_id=jti if isinstance(jti, str) else None,
    )


def issue_token(
    keys: TokenKeys,
    *,
    subject: str,
    scopes: Iterable[str],
    ttl_seconds: int,
    tags: Iterable[str] | None = None,
    now: float | None = None,
) -> str:
    """A signed token for ``subject`` (``paycrypt token issue``); every input is checked first."""
    if keys.signing_key is None:
        raise ConfigError(
            f"JWT_PRIVATE_KEY: needed to issue {keys.algorithm} tokens here (or JWT_PRIVATE_KEY_FILE)"
        )
    if not _SUBJECT.fullmatch(subject):
        raise ValidationError(
            "sub: 1-128 characters of letters, digits and @ . _ : + -", code="subject_invalid", field="sub"
        )
    wanted = sorted(set(scopes))
    unknown = [s for s in wanted if s not in SCOPES]
    if not wanted or unknown:
        raise ValidationError(
            f"scope: expected one or more of {', '.join(sorted(SCOPES))}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
            code="scope_invalid",
            field="scope",
        )
    if not 60 <= ttl_seconds <= MAX_TTL_SECONDS:
        raise ValidationError(
            f"ttl: between 1 minute and {MAX_TTL_SECONDS // 86400} days", code="ttl_invalid", field="ttl"
        )
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": keys.issuer,
        "aud": keys.audience,
        "sub": subject,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_seconds,
        "jti": uuid.uuid4().hex,
        "scope": " ".join(wanted),
    }
    if tags is not None:
        claims["tags"] = sorted({Tag.parse(t).value for t in tags})
    return jwt.encode(claims, keys.signing_key, algorithm=keys.algorithm)


def parse_ttl(text: str) -> int:
    """``90s``, ``15m``, ``12h``, ``7d`` or a number of seconds, as seconds."""
    match = re.fullmatch(r"\s*(\d{1,9})\s*([smhd]?)\s*", text)
    if not match:
        raise ValidationError(
            "ttl: expected a duration such as 15m, 12h or 7d", code="ttl_invalid", field="ttl"
        )
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return int(match.group(1)) * unit
