"""The real stellar-sdk adapters against a stub HTTP server on 127.0.0.1: parsing, timeouts, error mapping."""

import socket

import pytest
from stellar_sdk import Keypair

from paycrypt.core.federation import FederationError, Sep2Federation
from paycrypt.core.horizon import AccountNotFound, HorizonError
from paycrypt.core.horizon_sdk import SdkHorizon
from paycrypt.core.values import Asset, FederationAddress, Memo, MemoType

ACCOUNT = Keypair.random().public_key
ISSUER = Keypair.random().public_key


def _account_body():
    return {
        "id": ACCOUNT,
        "account_id": ACCOUNT,
        "sequence": "4294967301",
        "subentry_count": 1,
        "num_sponsoring": 0,
        "num_sponsored": 0,
        "thresholds": {"low_threshold": 1, "med_threshold": 2, "high_threshold": 3},
        "balances": [
            {
                "balance": "25.0000000",
                "asset_type": "credit_alphanum4",
                "asset_code": "USDC",
                "asset_issuer": ISSUER,
                "buying_liabilities": "0.0000000",
                "selling_liabilities": "1.5000000",
            },
            {
                "balance": "100.1234567",
                "asset_type": "native",
                "buying_liabilities": "0.0000000",
                "selling_liabilities": "0.0000000",
            },
        ],
        "signers": [{"key": ACCOUNT, "weight": 1, "type": "ed25519_public_key"}],
        "data": {},
    }


def _problem(status, slug, title="", detail=""):
    return {
        "type": f"https://stellar.org/horizon-errors/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }


@pytest.fixture
def horizon(stub_server):
    adapter = SdkHorizon(stub_server.url, timeout_seconds=5, retries=0)
    yield adapter
    adapter.close()


def test_it_loads_an_account_in_stroops(stub_server, horizon):
    stub_server.routes[f"/accounts/{ACCOUNT}"] = (200, _account_body())
    state = horizon.load_account(ACCOUNT)
    assert state.sequence == 4294967301
    assert state.balance_of(Asset.native()).stroops == 1_001_234_567
    usdc = state.balance_of(Asset("USDC", ISSUER))
    assert (usdc.stroops, usdc.selling_liabilities) == (250_000_000, 15_000_000)
    assert (state.thresholds.low, state.thresholds.medium, state.thresholds.high) == (1, 2, 3)
    assert state.signers[0].key == ACCOUNT and horizon.account_exists(ACCOUNT)


def test_a_missing_account_is_account_not_found(horizon):
    with pytest.raises(AccountNotFound) as caught:
        horizon.load_account(ACCOUNT)
    assert caught.value.code == "account_not_found"
    assert horizon.account_exists(ACCOUNT) is False


@pytest.mark.parametrize(
    ("status", "slug", "code", "retriable"),
    [
        (429, "rate_limit_exceeded", "horizon_rate_limited", True),
        (503, "stale_history", "horizon_unavailable", True),
        (504, "timeout", "horizon_timeout", True),
        (500, "server_error", "horizon_server_error", True),
        (400, "bad_request", "horizon_bad_request", False),
    ],
)
def test_horizon_statuses_map_to_stable_codes(stub_server, horizon, status, slug, code, retriable):
    stub_server.routes[f"/accounts/{ACCOUNT}"] = (status, _problem(status, slug, detail="said Horizon"))
    with pytest.raises(HorizonError) as caught:
        horizon.load_account(ACCOUNT)
    assert (caught.value.code, caught.value.status, caught.value.retriable) == (code, status, retriable)


def test_an_unreachable_horizon_is_horizon_unreachable():
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = SdkHorizon(f"http://127.0.0.1:{port}", timeout_seconds=2, retries=0)
    with pytest.raises(HorizonError) as caught:
        adapter.load_account(ACCOUNT)
    assert (caught.value.code, caught.value.retriable) == ("horizon_unreachable", True)


def test_friendbot_funding_asks_for_the_address(stub_server, horizon):
    stub_server.routes["/friendbot"] = (200, {"hash": "ab" * 32, "successful": True})
    result = horizon.fund_with_friendbot(ACCOUNT)
    assert result.transaction_hash == "ab" * 32
    assert stub_server.requests[-1] == ("/friendbot", {"addr": [ACCOUNT]})


def test_friendbot_refusing_an_existing_account_is_friendbot_refused(stub_server, horizon):
    stub_server.routes["/friendbot"] = (400, _problem(400, "bad_request", detail="createAccountAlreadyExist"))
    with pytest.raises(HorizonError) as caught:
        horizon.fund_with_friendbot(ACCOUNT)
    assert caught.value.code == "friendbot_refused"
    assert "createAccountAlreadyExist" in caught.value.message


def test_a_network_without_friendbot_is_friendbot_unavailable(horizon):
    with pytest.raises(HorizonError) as caught:
        horizon.fund_with_friendbot(ACCOUNT)
    assert caught.value.code == "friendbot_unavailable"


# --- federation (SEP-2) ---


@pytest.fixture
def federation_domain(stub_server):
    domain = stub_server.url.removeprefix("http://")
    stub_server.routes["/.well-known/stellar.toml"] = (
        200,
        f'FEDERATION_SERVER = "{stub_server.url}/federation"\n',
    )
    return domain


def test_sep2_federation_reads_the_toml_then_the_server(stub_server, federation_domain):
    memo_b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # bytes 0..31
    stub_server.routes["/federation"] = (
        200,
        {
            "stellar_address": f"bob*{federation_domain}",
            "account_id": ACCOUNT,
            "memo_type": "hash",
            "memo": memo_b64,
        },
    )
    answer = Sep2Federation(use_http=True).resolve(FederationAddress.parse(f"bob*{federation_domain}"))
    assert answer.account.address == ACCOUNT
    assert answer.memo == Memo(MemoType.HASH, bytes(range(32)).hex())
    assert stub_server.requests[-1] == ("/federation", {"type": ["name"], "q": [f"bob*{federation_domain}"]})


def test_sep2_federation_maps_an_unknown_name_to_federation_not_found(stub_server, federation_domain):
    stub_server.routes["/federation"] = (404, {"detail": "not found"})
    with pytest.raises(FederationError) as caught:
        Sep2Federation(use_http=True).resolve(FederationAddress.parse(f"ghost*{federation_domain}"))
    assert caught.value.code == "federation_not_found"


def test_sep2_federation_without_a_toml_is_federation_server_not_found(stub_server):
    domain = stub_server.url.removeprefix("http://")
    stub_server.routes["/.well-known/stellar.toml"] = (200, 'SIGNING_KEY = "x"\n')
    with pytest.raises(FederationError) as caught:
        Sep2Federation(use_http=True).resolve(FederationAddress.parse(f"bob*{domain}"))
    assert caught.value.code == "federation_server_not_found"


def test_sep2_federation_gives_a_clear_code_when_the_domain_is_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FederationError) as caught:
        Sep2Federation(timeout_seconds=2, use_http=True).resolve(
            FederationAddress.parse(f"bob*127.0.0.1:{port}")
        )
    assert caught.value.code == "federation_unreachable"
