"""`GET /`, health and limits: the checklist's smoke-test paths, and readiness naming what fails."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from paycrypt.api.app import create_app
from paycrypt.core.access import Actor, Role
from paycrypt.core.bootstrap import Container
from paycrypt.core.control import pause_payments
from paycrypt.core.storage.database import make_engine

from .conftest import free_port


def test_the_root_names_the_service_network_and_pause_switch(api):
    answer = api.client.get("/")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["service"], body["network"], body["paused"]) == ("paycrypt", "SANDBOX", False)
    pause_payments(api.container.uow_factory, Actor("oncall", Role.OPS), "drill")
    assert api.client.get("/").json()["paused"] is True


def test_liveness_needs_nothing_and_readiness_checks_every_part(api):
    assert api.client.get("/health/live").json() == {"status": "ok"}
    ready = api.client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "horizon": "ok"},
    }


def test_readiness_is_a_503_naming_an_unreachable_horizon(make_api):
    api = make_api(STELLAR_HORIZON_URL=f"http://127.0.0.1:{free_port()}")
    answer = api.client.get("/health/ready")
    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "not_ready"
    assert error["message"] == "not ready: horizon unreachable"
    assert error["details"] == {"database": "ok", "migrations": "ok", "horizon": "unreachable"}


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_readiness_names_pending_migrations_and_an_unreachable_database(api_settings, empty_database_url):
    unmigrated = api_settings(DATABASE_URL=empty_database_url)
    gone = api_settings(DATABASE_URL=f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/nothing")
    answers = {}
    for name, settings in (("behind", unmigrated), ("gone", gone)):
        container = Container(settings, make_engine(settings.database_url.reveal()))
        with TestClient(create_app(container=container)) as client:
            answers[name] = client.get("/health/ready")
        container.close()
    behind = answers["behind"].json()["error"]
    assert answers["behind"].status_code == 503
    assert behind["details"]["database"] == "ok"
    assert behind["details"]["migrations"].startswith("behind: ") and behind["details"]["horizon"] == "ok"
    gone_error = answers["gone"].json()["error"]
    assert answers["gone"].status_code == 503
    assert gone_error["message"].startswith("not ready: database unreachable, migrations unknown")
    assert "nobody" not in answers["gone"].text  # nothing of the connection string leaks


def test_the_limits_in_force_are_public_decimal_strings(make_api):
    api = make_api(PAYCRYPT_LIMIT_MAX_AMOUNT="2500.5", PAYCRYPT_LIMIT_TAG_DAILY_COUNT="7")
    answer = api.client.get("/api/transactions/payment/limits")
    assert answer.status_code == 200
    body = answer.json()
    assert body["max_amount"] == "2500.5000000" and Decimal(body["max_amount"]) == Decimal("2500.5")
    assert body["tag_daily_count"] == 7
    assert body["min_amount"] == "0.0000001"


def test_an_unknown_path_or_method_answers_in_the_common_error_shape(api):
    missing = api.client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert set(missing.json()["error"]) == {"code", "message", "request_id"}
    wrong = api.client.delete("/api/transactions/payment/limits")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"
    assert wrong.json()["error"]["request_id"] == wrong.headers["X-Request-ID"]
