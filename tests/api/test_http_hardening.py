"""Every answer: security headers, HSTS only over HTTPS (or from a trusted proxy), CORS for one origin
(and `*` for SEP-1/2), a request id, a body size limit, and errors that never show internals."""

from __future__ import annotations

import logging

import pytest

from paycrypt.api.context import RequestIdFilter
from paycrypt.api.middleware import SECURITY_HEADERS

SMOKE_PATHS = ["/", "/api/transactions/payment/limits", "/api/tags/nobody", "/api/nothing", "/openapi.json"]


@pytest.mark.parametrize("path", SMOKE_PATHS)
def test_every_answer_carries_the_security_headers_and_no_hsts_over_http(api, path):
    answer = api.client.get(path)
    for name, value in SECURITY_HEADERS:
        assert answer.headers[name] == value, name
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in answer.headers
    assert len(answer.headers["X-Request-ID"]) >= 8


def test_hsts_is_sent_over_https(make_api):
    api = make_api(base_url="https://testserver")
    assert api.client.get("/health/live").headers["Strict-Transport-Security"].startswith("max-age=")


def test_forwarded_proto_and_for_are_believed_only_from_a_trusted_proxy(make_api):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    behind_proxy = make_api(client=("10.0.0.5", 41000), API_TRUSTED_PROXIES="10.0.0.0/8")
    answer = behind_proxy.client.get("/health/live", headers=forwarded)
    assert "Strict-Transport-Security" in answer.headers

    stranger = make_api(client=("198.51.100.7", 41000), API_TRUSTED_PROXIES="10.0.0.0/8")
    assert "Strict-Transport-Security" not in stranger.client.get("/health/live", headers=forwarded).headers


def test_the_client_address_for_rate_limits_comes_from_a_trusted_proxy_only(make_api):
    limits = {"API_RATE_LIMITS_PER_IP": "public=2/minute"}
    proxied = make_api(client=("10.0.0.5", 41000), API_TRUSTED_PROXIES="10.0.0.5", **limits)
    for client in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):  # three clients behind one proxy
        assert proxied.client.get("/", headers={"X-Forwarded-For": client}).status_code == 200

    direct = make_api(client=("198.51.100.7", 41000), API_TRUSTED_PROXIES="10.0.0.5", **limits)
    statuses = [
        direct.client.get("/", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(3)
    ]
    assert statuses == [200, 200, 429]  # a spoofed header does not buy a fresh allowance


def test_a_request_id_is_kept_when_plain_and_replaced_when_not(api):
    kept = api.client.get("/health/live", headers={"X-Request-ID": "trace-abc-12345"})
    assert kept.headers["X-Request-ID"] == "trace-abc-12345"
    replaced = api.client.get("/health/live", headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["X-Request-ID"] != "bad id\twith spaces"
    assert len(replaced.headers["X-Request-ID"]) == 32


def test_every_log_line_of_a_request_carries_its_request_id(api, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="paycrypt.api"):
        answer = api.client.get("/api/tags/nobody", headers={"X-Request-ID": "req-0123456789"})
    lines = [r for r in caplog.records if r.name.startswith("paycrypt.api")]
    assert lines and all(getattr(r, "request_id", None) == "req-0123456789" for r in lines)
    assert answer.json()["error"]["request_id"] == "req-0123456789"


def test_cors_allows_the_configured_origin_only(make_api):
    api = make_api(CORS_ORIGIN="https://ops.example.com")
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    allowed = api.client.options(
        "/api/transactions/payment", headers={"Origin": "https://ops.example.com", **preflight}
    )
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://ops.example.com"
    refused = api.client.options(
        "/api/transactions/payment", headers={"Origin": "https://evil.example", **preflight}
    )
    assert refused.status_code == 400
    assert "Access-Control-Allow-Origin" not in refused.headers
    simple = api.client.get("/api/transactions/payment/limits", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in simple.headers


@pytest.mark.parametrize(
    "path", ["/.well-known/stellar.toml", "/federation?q=alice*pay.example.test&type=name"]
)
def test_sep1_and_sep2_paths_may_be_read_from_any_origin(make_api, path):
    api = make_api(CORS_ORIGIN="https://ops.example.com")
    answer = api.client.get(path, headers={"Origin": "https://wallet.example"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_a_body_over_the_limit_is_a_413_by_length_or_as_it_streams(api):
    limit = api.settings.api.max_body_bytes
    headers = {"Idempotency-Key": "k1", **api.auth("payments:write")}
    declared = api.client.post(
        "/api/transactions/payment", content=b"{" + b" " * limit + b"}", headers=headers
    )
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "payload_too_large"

    def chunks():
        for _ in range(limit // 1024 + 2):
            yield b" " * 1024

    streamed = api.client.post(
        "/api/transactions/payment", content=chunks(), headers={**headers, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert "X-Request-ID" in streamed.headers and "X-Content-Type-Options" in streamed.headers


def test_an_unexpected_error_is_a_plain_500_with_the_request_id_and_the_trace_only_in_the_log(api, caplog):
    def explode() -> None:
        raise RuntimeError("secret internals: /srv/paycrypt/db.py line 12")

    api.app.add_api_route("/_test/explode", explode)
    with caplog.at_level(logging.ERROR):
        answer = api.client.get("/_test/explode")
    assert answer.status_code == 500
    error = answer.json()["error"]
    assert error["code"] == "internal_error" and error["request_id"] == answer.headers["X-Request-ID"]
    assert "internals" not in answer.text and "Traceback" not in answer.text
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "secret internals" in caplog.text  # the log keeps what the client does not see


def test_the_bearer_token_and_secrets_never_reach_the_log(api, caplog):
    headers = api.auth("payments:read")
    with caplog.at_level(logging.DEBUG):
        api.client.get("/api/transactions/tag/alice/history", headers=headers)
        api.client.get("/api/tags/alice", headers=headers)
    token = headers["Authorization"].removeprefix("Bearer ")
    assert caplog.records and token not in caplog.text
    assert api.settings.jwt_secret.reveal() not in caplog.text


def test_an_answer_keeps_the_cache_control_its_route_chose_and_says_it_varies_by_origin(api):
    toml = api.client.get("/.well-known/stellar.toml")
    assert toml.headers["Cache-Control"] == "public, max-age=300"
    tag = api.client.get("/api/tags/nobody")
    assert tag.headers["Cache-Control"] == "no-store"
    for answer in (toml, tag):
        assert answer.headers["Vary"] == "Origin"
        assert answer.headers.get_list("X-Frame-Options") == ["DENY"]  # each header once


def test_a_500_from_a_browser_carries_the_cors_headers_too(make_api):
    api = make_api(CORS_ORIGIN="https://ops.example.com")

    def explode() -> None:
        raise RuntimeError("boom")

    api.app.add_api_route("/_test/explode", explode)
    answer = api.client.get("/_test/explode", headers={"Origin": "https://ops.example.com"})
    assert answer.status_code == 500
    assert answer.headers["Access-Control-Allow-Origin"] == "https://ops.example.com"
    assert "X-Request-ID" in answer.headers["Access-Control-Expose-Headers"]
    assert answer.headers["Cache-Control"] == "no-store"


def test_each_request_is_logged_once_with_its_request_id_and_its_path_as_sent(api, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="paycrypt.api.access"):
        api.client.get("/api/tags/100%25done", headers={"X-Request-ID": "req-log-000001"})
        api.client.get("/health/live?token=secret-in-query")
    first, second = [r for r in caplog.records if r.name == "paycrypt.api.access"]
    assert first.getMessage().startswith("GET /api/tags/100%done 422 ")
    assert first.getMessage().endswith(" client=testclient")
    assert first.request_id == "req-log-000001"
    assert second.getMessage().startswith("GET /health/live 200 ")  # never the query string
    assert second.request_id not in ("-", "req-log-000001")
