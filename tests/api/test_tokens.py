"""JWT: the algorithm is pinned, exp/iss/aud are checked, scopes decide; `paycrypt token issue` makes them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from paycrypt.api import security
from paycrypt.api.errors import Unauthorized
from paycrypt.api.security import CLOCK_LEEWAY_SECONDS, TokenKeys, TokenVerifier

from .conftest import JWT_SECRET, MASTER_KEY

HISTORY = "/api/transactions/tag/alice/history"


def _claims(**changes):
    now = int(time.time())
    claims = {
        "iss": "paycrypt",
        "aud": "paycrypt-api",
        "sub": "client-1",
        "iat": now,
        "exp": now + 300,
        "scope": "payments:read",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _get(api, token: str):
    return api.client.get(HISTORY, headers={"Authorization": f"Bearer {token}"})


def test_a_valid_token_reads_history(api):
    assert _get(api, jwt.encode(_claims(), JWT_SECRET, algorithm="HS256")).status_code == 200


def test_no_token_is_a_401_with_a_bearer_challenge(api):
    answer = api.client.get(HISTORY)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "token_missing"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("alg none", lambda: f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}."),
        ("wrong key", lambda: jwt.encode(_claims(), "another-secret-of-enough-length-xx", algorithm="HS256")),
        ("other HMAC", lambda: jwt.encode(_claims(), JWT_SECRET, algorithm="HS512")),
        ("wrong issuer", lambda: jwt.encode(_claims(iss="someone-else"), JWT_SECRET, algorithm="HS256")),
        ("wrong audience", lambda: jwt.encode(_claims(aud="another-api"), JWT_SECRET, algorithm="HS256")),
        ("no exp", lambda: jwt.encode(_claims(exp=None), JWT_SECRET, algorithm="HS256")),
        ("no sub", lambda: jwt.encode(_claims(sub=None), JWT_SECRET, algorithm="HS256")),
        ("garbage", lambda: "not.a.token"),
    ],
)
def test_a_forged_or_incomplete_token_is_a_401(api, name, make):
    answer = _get(api, make())
    assert answer.status_code == 401, name
    assert answer.json()["error"]["code"] == "token_invalid"


def test_a_tampered_token_is_a_401(api):
    header, _payload, signature = jwt.encode(_claims(), JWT_SECRET, algorithm="HS256").split(".")
    forged = f"{header}.{_b64(_claims(scope='admin'))}.{signature}"
    assert _get(api, forged).status_code == 401


def test_an_expired_token_is_a_401_saying_so(api):
    old = jwt.encode(_claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), JWT_SECRET)
    answer = _get(api, old)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "token_expired"


def test_a_token_without_the_scope_is_a_403(api):
    answer = api.client.get(HISTORY, headers=api.auth("tags:write"))
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "insufficient_scope"


def test_a_token_limited_to_some_tags_may_not_read_another(api):
    headers = api.auth("payments:read", tags=["bob"])
    assert api.client.get("/api/transactions/tag/bob/history", headers=headers).status_code == 200
    other = api.client.get(HISTORY, headers=headers)
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "tag_forbidden"


@pytest.fixture
def ed25519_keys(tmp_path):
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "jwt.pub").write_bytes(public)
    (tmp_path / "jwt.key").write_bytes(private)
    return tmp_path / "jwt.pub", tmp_path / "jwt.key", public


def test_an_asymmetric_key_verifies_its_tokens_and_refuses_algorithm_confusion(make_api, ed25519_keys):
    public_file, private_file, public_pem = ed25519_keys
    api = make_api(
        JWT_ALGORITHM="EdDSA", JWT_PUBLIC_KEY_FILE=str(public_file), JWT_PRIVATE_KEY_FILE=str(private_file)
    )
    assert _get(api, api.token("payments:read")).status_code == 200
    # The classic attack: an HMAC token keyed with the public key, hoping the server verifies HS256 with it.
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(_claims())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    confused = f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
    assert _get(api, confused).status_code == 401
    assert _get(api, jwt.encode(_claims(), JWT_SECRET, algorithm="HS256")).status_code == 401


def test_token_issue_prints_a_token_the_api_accepts(paycrypt, cli_env, settings_factory):
    env = {**cli_env, "JWT_SECRET": JWT_SECRET, "PAYCRYPT_MASTER_KEY": MASTER_KEY}
    issued = paycrypt(
        env, "token", "issue", "--sub", "ops-bot", "--scope", "payments:read ops", "--ttl", "15m"
    )
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"], audience="paycrypt-api")
    assert claims["sub"] == "ops-bot" and claims["scope"] == "ops payments:read"
    assert 14 * 60 <= claims["exp"] - claims["iat"] <= 15 * 60
    verifier = TokenVerifier(TokenKeys.from_settings(settings_factory(JWT_SECRET=JWT_SECRET)))
    assert verifier.verify(token).subject == "ops-bot"


def test_token_issue_refuses_an_unknown_scope_in_one_line(paycrypt, cli_env):
    env = {**cli_env, "JWT_SECRET": JWT_SECRET, "PAYCRYPT_MASTER_KEY": MASTER_KEY}
    refused = paycrypt(env, "token", "issue", "--sub", "x", "--scope", "payments:everything")
    assert refused.returncode == 1
    assert refused.stderr.startswith("error [scope_invalid]: scope: expected one or more of")


def _counting(verifier: TokenVerifier, monkeypatch) -> list[str]:
    """Records each full check of a token by ``verifier`` (signature and claims)."""
    checked: list[str] = []
    full_check = verifier._check

    def counted(token: str):
        checked.append(token)
        return full_check(token)

    monkeypatch.setattr(verifier, "_check", counted)
    return checked


def test_a_valid_token_is_checked_once_and_an_invalid_one_every_time(api, monkeypatch):
    verifier = TokenVerifier(TokenKeys.from_settings(api.settings))
    checked = _counting(verifier, monkeypatch)
    token = api.token("payments:read")
    assert [verifier.verify(token).subject for _ in range(3)] == ["client-1"] * 3
    assert checked == [token]

    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for _ in range(2):
        with pytest.raises(Unauthorized):
            verifier.verify(forged)
    assert checked == [token, forged, forged]


def test_a_remembered_token_still_expires_on_time(api, monkeypatch):
    verifier = TokenVerifier(TokenKeys.from_settings(api.settings))
    token = api.token("payments:read", ttl=60)
    verifier.verify(token)
    checked = _counting(verifier, monkeypatch)
    now = time.time()

    monkeypatch.setattr(security.time, "time", lambda: now + 60 + CLOCK_LEEWAY_SECONDS - 1)
    verifier.verify(token)  # within the leeway, as PyJWT would allow
    assert checked == []

    def expired(_token: str):
        raise Unauthorized("the token has expired", code="token_expired")

    monkeypatch.setattr(security.time, "time", lambda: now + 60 + CLOCK_LEEWAY_SECONDS + 1)
    monkeypatch.setattr(verifier, "_check", expired)  # what PyJWT says of it by then
    with pytest.raises(Unauthorized) as refused:
        verifier.verify(token)
    assert refused.value.code == "token_expired"


def test_only_so_many_tokens_are_remembered(api, monkeypatch):
    verifier = TokenVerifier(TokenKeys.from_settings(api.settings), remembered=2)
    checked = _counting(verifier, monkeypatch)
    first, second, third = (api.token("payments:read", sub=f"client-{n}") for n in range(3))
    for token in (first, second, third, third, first):
        verifier.verify(token)
    assert checked == [first, second, third, first]  # the first was forgotten for the third
