"""The pause switch over HTTP: the token's subject and reason land in the audit log; roles decide."""

from __future__ import annotations


def test_an_ops_token_pauses_and_resumes_with_an_audit_trail(api):
    headers = api.auth("ops", sub="oncall-anna")
    paused = api.client.post("/api/control/pause", json={"reason": "incident 42"}, headers=headers)
    assert paused.status_code == 200, paused.text
    assert paused.json() | {"since": None} == {
        "paused": True,
        "since": None,
        "by": "oncall-anna",
        "reason": "incident 42",
        "changed": True,
    }
    status = api.client.get("/api/control/status", headers=api.auth("viewer")).json()
    assert status["pause"]["paused"] is True and status["held"] == 0
    again = api.client.post("/api/control/pause", json={"reason": "still"}, headers=headers).json()
    assert again["changed"] is False

    resumed = api.client.post("/api/control/resume", json={"reason": "fixed"}, headers=headers)
    assert resumed.json()["paused"] is False and resumed.json()["changed"] is True
    with api.container.unit_of_work() as uow:
        trail = [(e.actor, e.role, e.action, e.reason) for e in reversed(uow.audit.recent(10))]
    assert trail == [
        ("oncall-anna", "ops", "pause", "incident 42"),
        ("oncall-anna", "ops", "resume", "fixed"),
    ]


def test_a_paused_switch_holds_payments_sent_over_http(api):
    api.bank.custodial("alice")
    api.bank.outside("bob")
    api.client.post("/api/control/pause", json={"reason": "drill"}, headers=api.auth("admin"))
    sent = api.client.post(
        "/api/transactions/payment",
        json={"from": "alice", "to": "bob", "amount": "1"},
        headers={"Idempotency-Key": "held-1", **api.auth("payments:write")},
    )
    assert sent.json()["status"] == "held"
    assert api.client.get("/api/control/status", headers=api.auth("ops")).json()["held"] == 1


def test_roles_decide_who_may_pull_the_switch(api):
    viewer = api.client.post("/api/control/pause", json={"reason": "x"}, headers=api.auth("viewer"))
    assert viewer.status_code == 403 and viewer.json()["error"]["code"] == "forbidden"
    no_role = api.client.get("/api/control/status", headers=api.auth("payments:write"))
    assert no_role.status_code == 403
    assert api.client.post("/api/control/pause", json={"reason": "x"}).status_code == 401
    assert api.client.get("/").json()["paused"] is False


def test_a_pause_needs_a_reason(api):
    headers = api.auth("ops")
    missing = api.client.post("/api/control/pause", json={}, headers=headers)
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "reason"
    blank = api.client.post("/api/control/pause", json={"reason": "   "}, headers=headers)
    assert blank.status_code == 422 and blank.json()["error"]["code"] == "reason_required"
    assert api.client.post("/api/control/resume", headers=headers).status_code == 200
