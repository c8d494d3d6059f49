"""`GET /metrics`: latency by route template and status, the engine's metrics, an optional token or port."""

from __future__ import annotations

import secrets
import urllib.request

from prometheus_client import REGISTRY

from paycrypt.api.metrics import serve_metrics

from .conftest import free_port

LATENCY = "paycrypt_http_request_duration_seconds_count"


def _count(route: str, status: str) -> float:
    return REGISTRY.get_sample_value(LATENCY, {"method": "GET", "route": route, "status": status}) or 0.0


def test_requests_are_counted_by_route_template_and_status_beside_the_engine_metrics(api):
    before = _count("/api/tags/{tag}", "404"), _count("unmatched", "404")
    for name in ("nobody", "someone", "anyone"):
        api.client.get(f"/api/tags/{name}")
    api.client.get("/wp-admin/setup.php")
    assert _count("/api/tags/{tag}", "404") == before[0] + 3
    assert _count("unmatched", "404") == before[1] + 1

    answer = api.client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/plain")
    text = answer.text
    assert 'route="/api/tags/{tag}"' in text and "nobody" not in text
    assert "# TYPE paycrypt_payments_total counter" in text
    assert 'paycrypt_payments_waiting{state="held"} 0.0' in text and "paycrypt_payments_paused 0.0" in text


def test_a_metrics_token_restricts_the_scrape(make_api):
    token = secrets.token_urlsafe(24)
    api = make_api(METRICS_TOKEN=token)
    assert api.client.get("/metrics").status_code == 401
    assert api.client.get("/metrics", headers={"Authorization": "Bearer wrong-token-here"}).status_code == 401
    assert api.client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_metrics_on_their_own_port_are_gone_from_the_api_port(make_api):
    port = free_port()
    api = make_api(METRICS_PORT=str(port))
    assert api.client.get("/metrics").status_code == 404
    server, thread = serve_metrics(api.app.state.services.metrics, "127.0.0.1", port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            assert b"paycrypt_http_request_duration_seconds" in answer.read()
    finally:
        server.shutdown()
        thread.join(timeout=5)
