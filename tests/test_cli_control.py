"""`paycrypt pause / resume / status` from a shell, on both databases."""

from __future__ import annotations

import json


def test_pause_status_and_resume_from_the_command_line(paycrypt, cli_env, database_url, engine):
    env = {**cli_env, "DATABASE_URL": database_url}

    paused = paycrypt(env, "pause", "--reason", "deploying 1.2")
    assert paused.returncode == 0, paused.stderr
    assert "payments are PAUSED" in paused.stdout and "deploying 1.2" in paused.stdout

    report = json.loads(paycrypt(env, "status", "--json").stdout)
    assert report["pause"]["paused"] is True
    assert report["pause"]["by"].startswith("cli:")
    assert report["held"] == 0

    resumed = paycrypt(env, "resume", "--reason", "deploy done")
    assert resumed.returncode == 0 and "payments resumed" in resumed.stdout
    assert "payments are running" in paycrypt(env, "status").stdout


def test_pause_without_a_reason_is_refused(paycrypt, cli_env, database_url, engine):
    result = paycrypt({**cli_env, "DATABASE_URL": database_url}, "pause")
    assert result.returncode == 2
    assert "Missing option '--reason'" in result.stderr
