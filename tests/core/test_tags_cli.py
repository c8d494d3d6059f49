"""`paycrypt tags ...` as an operator runs it: a subprocess on the migrated test database."""

import json

import pytest
from stellar_sdk import Keypair, MuxedAccount


def last_line(result):
    return result.stderr.strip().splitlines()[-1]


def test_an_operator_adds_lists_shows_and_removes_a_tag(paycrypt):
    account = Keypair.random().public_key
    added = paycrypt("tags", "add", "Shop", "--account", account, "--memo", "77", "--memo-type", "id")
    assert added.returncode == 0, added.stderr
    assert "added shop" in added.stdout

    listed = json.loads(paycrypt("tags", "list", "--json").stdout)
    assert [(t["tag"], t["account"], t["memo_type"], t["memo"]) for t in listed] == [
        ("shop", account, "id", "77")
    ]
    assert account in paycrypt("tags", "list").stdout

    shown = paycrypt("tags", "show", "shop", "--json")
    assert json.loads(shown.stdout)["custodial"] is False
    assert "id:77" in paycrypt("tags", "show", "shop").stdout

    removed = paycrypt("tags", "remove", "shop")
    assert removed.returncode == 0 and "removed shop" in removed.stdout
    assert json.loads(paycrypt("tags", "list", "--json").stdout) == []


def test_showing_a_muxed_tag_prints_its_muxed_id(paycrypt):
    muxed = MuxedAccount(Keypair.random().public_key, 5).universal_account_id
    assert paycrypt("tags", "add", "sub-acct", "--account", muxed).returncode == 0
    assert "muxed id    5" in paycrypt("tags", "show", "sub-acct").stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["tags", "add", "x", "--account", "GAAA"], "tag_invalid"),
        (["tags", "add", "alice", "--account", "GNOPE"], "destination_invalid"),
        (["tags", "add", "alice", "--account", "@valid", "--memo", "y" * 29], "memo_too_long"),
        (["tags", "show", "nobody"], "tag_not_found"),
        (["tags", "remove", "nobody"], "tag_not_found"),
    ],
)
def test_bad_input_ends_in_one_error_line_with_its_code(paycrypt, args, code):
    args = [Keypair.random().public_key if a == "@valid" else a for a in args]
    result = paycrypt(*args)
    assert result.returncode == 1
    assert last_line(result).startswith(f"error [{code}]: ")
    assert "Traceback" not in result.stderr


def test_adding_a_taken_tag_says_tag_exists(paycrypt):
    assert paycrypt("tags", "add", "alice", "--account", Keypair.random().public_key).returncode == 0
    again = paycrypt("tags", "add", "alice", "--account", Keypair.random().public_key)
    assert (again.returncode, last_line(again).split("]")[0]) == (1, "error [tag_exists")


def test_an_empty_list_says_how_to_add_a_tag(paycrypt):
    assert "paycrypt tags add" in paycrypt("tags", "list").stdout
