"""Rate limits per client address and per token, by route group; shared through Redis across replicas."""

from __future__ import annotations

import time
import uuid

from .conftest import free_port

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_the_limit_answers_429_with_retry_after_and_ratelimit_headers(make_api):
    api = make_api(API_RATE_LIMITS_PER_IP="public=3/minute")
    answers = [api.client.get("/api/transactions/payment/limits") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    refused = answers[3]
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert int(refused.headers["X-RateLimit-Reset"]) >= int(time.time())
    assert refused.json()["error"]["code"] == "rate_limited"


def test_each_route_group_has_its_own_limit(make_api):
    api = make_api(API_RATE_LIMITS_PER_IP="public=2/minute, federation=5/minute")
    for _ in range(2):
        api.client.get("/api/transactions/payment/limits")
    assert api.client.get("/api/tags/alice").status_code == 429  # same group, no allowance left
    assert api.client.get("/.well-known/stellar.toml").status_code == 200  # another group


def test_tokens_are_limited_each_on_their_own(make_api):
    api = make_api(API_RATE_LIMITS_PER_TOKEN="read=2/minute")
    first, second = api.auth("payments:read", sub="first"), api.auth("payments:read", sub="second")
    path = "/api/transactions/tag/alice/history"
    assert [api.client.get(path, headers=first).status_code for _ in range(3)] == [200, 200, 429]
    assert api.client.get(path, headers=second).status_code == 200
    assert "this token" in api.client.get(path, headers=first).json()["error"]["message"]


def test_replicas_share_their_counters_through_redis(make_api):
    replica_a = make_api(REDIS_URL=REDIS_URL, API_RATE_LIMITS_PER_TOKEN="read=3/minute")
    replica_b = make_api(REDIS_URL=REDIS_URL, API_RATE_LIMITS_PER_TOKEN="read=3/minute")
    assert replica_a.container.settings.redis_url is not None
    headers = replica_a.auth("payments:read", sub=f"shared-{uuid.uuid4().hex[:12]}")  # fresh Redis keys
    path = "/api/transactions/tag/alice/history"
    statuses = [
        replica_a.client.get(path, headers=headers).status_code,
        replica_b.client.get(path, headers=headers).status_code,
        replica_a.client.get(path, headers=headers).status_code,
        replica_b.client.get(path, headers=headers).status_code,
    ]
    assert statuses == [200, 200, 200, 429]


def test_in_memory_counters_are_per_process(make_api):
    replica_a = make_api(API_RATE_LIMITS_PER_TOKEN="read=1/minute")
    replica_b = make_api(API_RATE_LIMITS_PER_TOKEN="read=1/minute")
    headers = replica_a.auth("payments:read")
    path = "/api/transactions/tag/alice/history"
    assert replica_a.client.get(path, headers=headers).status_code == 200
    assert replica_b.client.get(path, headers=headers).status_code == 200


def test_limits_still_hold_from_memory_while_redis_is_unreachable(make_api):
    api = make_api(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", API_RATE_LIMITS_PER_IP="public=2/minute")
    statuses = [api.client.get("/api/transactions/payment/limits").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
