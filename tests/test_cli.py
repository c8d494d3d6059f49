"""The `paycrypt` command as operators run it: migrate up/status/rollback on both databases."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

PAYCRYPT = str(Path(sys.executable).with_name("paycrypt"))


def paycrypt(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PAYCRYPT, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_migrate_up_status_and_rollback_say_what_they_did(paycrypt, cli_env, empty_database_url):
    env = {**cli_env, "DATABASE_URL": empty_database_url}

    behind = paycrypt(env, "migrate", "status")
    assert behind.returncode == 1
    assert "current:  (empty: no migration applied)" in behind.stdout
    assert "0001_initial" in behind.stdout

    up = paycrypt(env, "migrate", "up")
    assert up.returncode == 0, up.stderr
    assert "applied 0001_initial" in up.stdout

    again = paycrypt(env, "migrate", "up")
    assert again.returncode == 0 and "already at head" in again.stdout

    current = paycrypt(env, "migrate", "status")
    assert current.returncode == 0
    assert "pending:  none (up to date)" in current.stdout

    back = paycrypt(env, "migrate", "rollback")
    assert back.returncode == 0
    assert "rolled back" in back.stdout

    assert paycrypt(env, "migrate", "up").returncode == 0
    to_base = paycrypt(env, "migrate", "rollback", "--to", "base")
    assert to_base.returncode == 0, to_base.stderr
    assert "now at base (empty)" in to_base.stdout

    nothing = paycrypt(env, "migrate", "rollback")
    assert nothing.returncode == 1
    assert "error [nothing_to_rollback]" in nothing.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["migrate", "--help"],
        ["migrate", "up", "--help"],
        ["migrate", "status", "--help"],
        ["migrate", "rollback", "--help"],
        ["config", "show", "--help"],
        ["run", "--help"],
    ],
)
def test_every_command_has_help(paycrypt, cli_env, args):
    result = paycrypt(cli_env, *args)
    assert result.returncode == 0
    assert "Usage: paycrypt" in result.stdout


@pytest.mark.parametrize(
    ("env_change", "args", "expected"),
    [
        ({"STELLAR_NETWORK": "moon"}, ["migrate", "up"], "error [config_invalid]: STELLAR_NETWORK"),
        (
            {"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none"},
            ["migrate", "status"],
            "error [storage_unavailable]: cannot reach the database",
        ),
        ({}, ["migrate", "rollback"], "error [nothing_to_rollback]"),
        ({}, ["migrate", "sideways"], "No such command 'sideways'"),
    ],
)
def test_errors_are_one_clear_line_and_a_non_zero_exit(paycrypt, cli_env, env_change, args, expected):
    result = paycrypt({**cli_env, **env_change}, *args)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_database_password_never_reaches_the_output(paycrypt, cli_env):
    env = {**cli_env, "DATABASE_URL": "postgresql+psycopg://pay:s3cret-pw-xyz@127.0.0.1:1/none"}
    result = paycrypt(env, "migrate", "status")
    assert result.returncode == 1
    assert "s3cret-pw-xyz" not in result.stdout + result.stderr


def test_config_show_lists_settings_without_secrets(paycrypt, cli_env, tmp_path):
    env = {**cli_env, "JWT_SECRET": "operator-jwt-secret-value-0123456789abcdef"}
    result = paycrypt(env, "config", "show")
    assert result.returncode == 0
    assert re.search(r"^STELLAR_NETWORK +SANDBOX$", result.stdout, re.MULTILINE)
    assert re.search(r"^PAYCRYPT_MASTER_KEY_PREVIOUS +0 older key\(s\)$", result.stdout, re.MULTILINE)
    assert "operator-jwt-secret-value" not in result.stdout + result.stderr
    master_key = (tmp_path / "var" / "secrets" / "paycrypt_master_key").read_text().strip()
    assert master_key not in result.stdout + result.stderr
    assert "generated a throwaway PAYCRYPT_MASTER_KEY" in result.stderr
