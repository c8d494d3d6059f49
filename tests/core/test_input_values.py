"""Asset, memo, tag and address value objects: the good, and each bad one with its code and field."""

import pytest
from stellar_sdk import HashMemo, IdMemo, Keypair, MuxedAccount, NoneMemo, TextMemo

from paycrypt.core.errors import ValidationError
from paycrypt.core.values import AccountAddress, Asset, FederationAddress, Memo, MemoType, Tag

ISSUER = Keypair.random().public_key
# The last character carries the checksum's last bits, so any other last character breaks it.
BAD_CHECKSUM_ISSUER = ISSUER[:-1] + ("A" if ISSUER[-1] != "A" else "B")


def _refused(call, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- asset ---


@pytest.mark.parametrize("text", ["native", "XLM", "xlm", " Native "])
def test_it_reads_the_native_asset_by_either_name(text):
    asset = Asset.parse(text)
    assert asset.is_native and str(asset) == "native" and asset.to_sdk().is_native()


def test_it_reads_a_credit_asset_with_its_type():
    assert Asset.parse(f"USDC:{ISSUER}").asset_type == "credit_alphanum4"
    long = Asset.parse(f"LONGCODE12:{ISSUER}")
    assert long.asset_type == "credit_alphanum12" and long.to_sdk().code == "LONGCODE12"
    assert str(long) == f"LONGCODE12:{ISSUER}"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "USD",
        f"USD:{BAD_CHECKSUM_ISSUER}",
        f":{ISSUER}",
        f"THIRTEENCHARS:{ISSUER}",
        f"US-D:{ISSUER}",
        "USD:GABC",
    ],
)
def test_it_refuses_a_malformed_asset(text):
    err = _refused(Asset.parse, text)
    assert (err.code, err.field) == ("asset_invalid", "asset")


# --- memo ---


def test_it_reads_each_kind_of_memo_and_builds_the_sdk_memo():
    assert Memo.parse(None).to_sdk() == NoneMemo()
    assert Memo.parse("invoice 7").to_sdk() == TextMemo("invoice 7")
    assert Memo.parse("18446744073709551615", "id").to_sdk() == IdMemo(2**64 - 1)
    digest = "AB" * 32
    memo = Memo.parse(digest, "hash")
    assert memo.value == digest.lower() and memo.to_sdk() == HashMemo(bytes.fromhex(digest))


def test_a_text_memo_of_exactly_28_bytes_is_accepted_and_29_is_not():
    assert Memo.parse("x" * 28).type is MemoType.TEXT
    err = _refused(Memo.parse, "x" * 29)
    assert (err.code, err.field) == ("memo_too_long", "memo")


def test_the_text_limit_counts_utf8_bytes_not_characters():
    err = _refused(Memo.parse, "é" * 15)  # 15 characters, 30 bytes
    assert err.code == "memo_too_long"


@pytest.mark.parametrize(
    ("value", "memo_type"),
    [
        ("18446744073709551616", "id"),
        ("-1", "id"),
        ("12a", "id"),
        ("ab" * 31, "hash"),
        ("zz" * 32, "hash"),
        (None, "text"),
        ("x", "none"),
    ],
)
def test_it_refuses_a_malformed_memo(value, memo_type):
    assert _refused(Memo.parse, value, memo_type).code == "memo_invalid"


def test_an_unknown_memo_type_names_the_type_field():
    err = _refused(Memo.parse, "1", "return")
    assert (err.code, err.field) == ("memo_invalid", "memo_type")


def test_a_federation_hash_memo_in_base64_is_read_as_hex():
    import base64

    raw = bytes(range(32))
    assert Memo.from_federation("hash", base64.b64encode(raw).decode()).value == raw.hex()
    assert Memo.from_federation(None, None).is_none


# --- tag ---


@pytest.mark.parametrize("text", ["abc", "shop.eu-1_main", "a" * 32, "0xy"])
def test_it_accepts_tags_of_the_allowed_alphabet(text):
    assert Tag.parse(text).value == text


def test_it_lower_cases_a_tag():
    assert Tag.parse(" Alice ").value == "alice"


@pytest.mark.parametrize("text", ["ab", "a" * 33, "al ice", "alice*x", "ålice", "alice!", ""])
def test_it_refuses_a_malformed_tag(text):
    err = _refused(Tag.parse, text)
    assert (err.code, err.field) == ("tag_invalid", "tag")


# --- account address ---


def test_it_accepts_a_g_address_and_a_muxed_m_address():
    account = Keypair.random().public_key
    plain = AccountAddress.parse(account)
    assert (plain.account_id, plain.muxed_id) == (account, None)
    muxed_text = MuxedAccount(account, 42).universal_account_id
    muxed = AccountAddress.parse(muxed_text)
    assert (muxed.address, muxed.account_id, muxed.muxed_id) == (muxed_text, account, 42)


def test_it_refuses_an_address_whose_checksum_is_wrong():
    account = Keypair.random().public_key
    broken = account[:-1] + ("A" if account[-1] != "A" else "B")
    err = _refused(AccountAddress.parse, broken)
    assert (err.code, err.field) == ("destination_invalid", "destination")


def test_it_refuses_a_secret_seed_as_an_address_without_repeating_it():
    seed = Keypair.random().secret
    err = _refused(AccountAddress.parse, seed, field="account")
    assert err.field == "account"
    assert seed not in err.message and "secret seed" in err.message


@pytest.mark.parametrize("text", ["alice*example.com", "bob@mail.com*pay.example.org", "c*127.0.0.1:8080"])
def test_it_reads_federation_addresses(text):
    name, domain = text.split("*")
    assert FederationAddress.parse(text) == FederationAddress(name, domain)


@pytest.mark.parametrize(
    "text", ["*example.com", "alice*", "a*b*c.com", "al ice*x.com", "alice*exa mple.com"]
)
def test_it_refuses_malformed_federation_addresses(text):
    assert _refused(FederationAddress.parse, text).code == "destination_invalid"
