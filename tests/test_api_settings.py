"""The API's settings: defaults, rate limits by group, JWT keys, proxies; bad values name the variable."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from paycrypt.core.api_settings import RateLimit
from paycrypt.core.errors import ConfigError


def test_the_defaults_serve_on_port_3000_with_hs256_and_modest_limits(settings_factory):
    api = settings_factory().api
    assert (api.host, api.port, api.jwt_algorithm) == ("127.0.0.1", 3000, "HS256")
    assert (api.jwt_issuer, api.jwt_audience) == ("paycrypt", "paycrypt-api")
    assert api.limit("payment", per_token=False) == RateLimit(60, 1, "minute")
    assert api.limit("read", per_token=True) == RateLimit(600, 1, "minute")  # the default group
    assert api.trusted_proxies == ("127.0.0.1",)
    assert api.max_body_bytes == 65536 and api.metrics_token is None and api.metrics_port is None
    assert api.public_url == "http://127.0.0.1:3000"


def test_rate_limits_are_set_per_group_over_the_defaults(settings_factory):
    api = settings_factory(API_RATE_LIMITS_PER_IP="read=10/second, payment = 5/10 minutes").api
    assert api.limit("read", per_token=False) == RateLimit(10, 1, "second")
    assert api.limit("payment", per_token=False) == RateLimit(5, 10, "minute")
    assert api.limit("public", per_token=False) == RateLimit(300, 1, "minute")


def test_the_public_url_follows_the_federation_domain(settings_factory):
    assert (
        settings_factory(PAYCRYPT_FEDERATION_DOMAIN="pay.example.com").api.public_url
        == "https://pay.example.com"
    )
    given = settings_factory(API_PUBLIC_URL="https://api.example.com/", API_PORT="8080").api
    assert (given.public_url, given.port) == ("https://api.example.com", 8080)


def test_an_asymmetric_algorithm_takes_its_public_key_from_a_file(settings_factory, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "jwt.pub").write_bytes(public)
    api = settings_factory(JWT_ALGORITHM="ES256", JWT_PUBLIC_KEY_FILE=str(tmp_path / "jwt.pub")).api
    assert api.asymmetric and api.jwt_public_key == public.decode().strip()
    assert api.jwt_private_key is None


def test_secrets_of_the_api_are_masked_in_logs(settings_factory):
    settings = settings_factory(METRICS_TOKEN="scrape-token-0123456789")
    assert "scrape-token-0123456789" in settings.known_secret_values()
    assert "scrape-token" not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"API_PORT": "70000"}, "API_PORT: must be between 1 and 65535"),
        ({"API_HOST": "bad host!"}, "API_HOST: expected an address"),
        ({"JWT_ALGORITHM": "none"}, "JWT_ALGORITHM: expected one of HS256"),
        ({"JWT_ALGORITHM": "RS256"}, "JWT_PUBLIC_KEY: required with JWT_ALGORITHM=RS256"),
        (
            {"JWT_ALGORITHM": "RS256", "JWT_PUBLIC_KEY": "not a key"},
            "JWT_PUBLIC_KEY: expected a PEM public key",
        ),
        ({"JWT_PUBLIC_KEY": "x"}, "JWT_PUBLIC_KEY: set only with an asymmetric JWT_ALGORITHM"),
        ({"JWT_ISSUER": "a\tb"}, "JWT_ISSUER: expected printable text"),
        (
            {"API_RATE_LIMITS_PER_IP": "read=lots"},
            "API_RATE_LIMITS_PER_IP: expected a rate such as 60/minute",
        ),
        (
            {"API_RATE_LIMITS_PER_TOKEN": "everything=1/second"},
            "API_RATE_LIMITS_PER_TOKEN: expected group=rate",
        ),
        ({"API_RATE_LIMITS_PER_IP": "read=0/second"}, "API_RATE_LIMITS_PER_IP: expected a rate"),
        ({"API_MAX_BODY_BYTES": "10"}, "API_MAX_BODY_BYTES: must be between 1024"),
        ({"API_TRUSTED_PROXIES": "10.0.0.1, proxy.local"}, "API_TRUSTED_PROXIES: expected IP addresses"),
        ({"API_PUBLIC_URL": "ftp://x"}, "API_PUBLIC_URL: expected an http(s) URL"),
        ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN: too short"),
        ({"METRICS_PORT": "3000"}, "METRICS_PORT: must differ from API_PORT (3000)"),
    ],
)
def test_a_bad_api_setting_stops_the_start_naming_the_variable(settings_factory, environ, message):
    with pytest.raises(ConfigError) as err:
        settings_factory(**environ)
    assert str(err.value).startswith(message)


def test_trusted_proxies_may_be_none_or_networks(settings_factory):
    assert settings_factory(API_TRUSTED_PROXIES="none").api.trusted_proxies == ()
    assert settings_factory(API_TRUSTED_PROXIES="10.0.0.0/8, ::1").api.trusted_proxies == (
        "10.0.0.0/8",
        "::1",
    )
