"""`paycrypt accounts ...`: custodial accounts from the command line, secrets never printed."""

import json

import pytest
from sqlalchemy import select
from stellar_sdk import Keypair

from paycrypt.core.secrets import REDACTED
from paycrypt.core.storage.tables import signing_keys


def last_line(result):
    return result.stderr.strip().splitlines()[-1]


def _tag(paycrypt, name):
    return json.loads(paycrypt("tags", "show", name, "--json").stdout)


def test_creating_an_account_seals_a_new_key_and_prints_only_the_address(paycrypt, engine):
    result = paycrypt("accounts", "create", "treasury")
    assert result.returncode == 0, result.stderr
    tag = _tag(paycrypt, "treasury")
    assert tag["custodial"] is True and tag["account"] in result.stdout
    with engine.connect() as conn:
        row = conn.execute(select(signing_keys)).one()
    assert row.account_id == tag["account"]
    assert "S" not in {word[:1] for word in result.stdout.split() if len(word) == 56}


def test_creating_with_fund_asks_friendbot_on_the_configured_horizon(paycrypt, stub_server):
    stub_server.routes["/friendbot"] = (200, {"hash": "cd" * 32})
    result = paycrypt(
        "accounts", "create", "hot", "--fund", extra_env={"STELLAR_HORIZON_URL": stub_server.url}
    )
    assert result.returncode == 0, result.stderr
    account = _tag(paycrypt, "hot")["account"]
    assert stub_server.requests == [("/friendbot", {"addr": [account]})]
    assert "cd" * 32 in result.stdout


def test_a_failed_funding_names_the_created_account_and_fund_retries_it(paycrypt, stub_server):
    stub_server.routes["/friendbot"] = (503, {"status": 503, "title": "busy"})
    env = {"STELLAR_HORIZON_URL": stub_server.url}
    failed = paycrypt("accounts", "create", "hot", "--fund", extra_env=env)
    account = _tag(paycrypt, "hot")["account"]
    assert failed.returncode == 1 and last_line(failed).startswith("error [horizon_unavailable]")
    assert account in failed.stderr
    stub_server.routes["/friendbot"] = (200, {"hash": "ef" * 32})
    retried = paycrypt("accounts", "fund", "hot", extra_env=env)
    assert retried.returncode == 0 and account in retried.stdout


def test_importing_from_a_file_seals_the_seed_and_never_prints_it(paycrypt, tmp_path, engine):
    keypair = Keypair.random()
    secret_file = tmp_path / "seed.txt"
    secret_file.write_text(keypair.secret + "\n")
    result = paycrypt(
        "accounts",
        "import",
        "cold",
        "--secret-file",
        str(secret_file),
        extra_env={"PAYCRYPT_LOG_LEVEL": "DEBUG"},
    )
    assert result.returncode == 0, result.stderr
    assert keypair.secret not in result.stdout + result.stderr
    assert _tag(paycrypt, "cold")["account"] == keypair.public_key
    with engine.connect() as conn:
        assert keypair.secret not in conn.execute(select(signing_keys.c.sealed_seed)).scalar_one()


def test_importing_from_stdin(paycrypt):
    keypair = Keypair.random()
    result = paycrypt("accounts", "import", "cold", "--secret-file", "-", input=keypair.secret)
    assert result.returncode == 0, result.stderr
    assert _tag(paycrypt, "cold")["custodial"] is True


def test_a_seed_given_as_the_file_name_is_refused_and_masked_in_the_log(paycrypt):
    seed = Keypair.random().secret
    result = paycrypt(
        "accounts", "import", "cold", "--secret-file", seed, extra_env={"PAYCRYPT_LOG_LEVEL": "DEBUG"}
    )
    assert result.returncode == 1
    assert last_line(result).startswith("error [secret_on_command_line]")
    assert seed not in result.stdout + result.stderr
    # The CLI logs where it reads the seed from; the redacting filter masks the seed in that line.
    assert f"reading a secret seed from {REDACTED}" in result.stderr


@pytest.mark.parametrize(
    ("content", "code"), [("not a seed", "secret_invalid"), (None, "secret_file_unreadable")]
)
def test_a_bad_secret_file_is_refused_with_its_code(paycrypt, tmp_path, content, code):
    path = tmp_path / "seed.txt"
    if content is not None:
        path.write_text(content)
    result = paycrypt("accounts", "import", "cold", "--secret-file", str(path))
    assert (result.returncode, last_line(result).split("]")[0]) == (1, f"error [{code}")
    assert json.loads(paycrypt("tags", "list", "--json").stdout) == []


def test_there_is_no_way_to_pass_a_secret_on_the_command_line(paycrypt):
    result = paycrypt("accounts", "import", "cold", "--secret", Keypair.random().secret)
    assert result.returncode != 0
    assert "No such option" in result.stderr
