"""The Horizon port: what the engine asks of a Stellar network, and the stellar-sdk adapter that asks it.

The engine depends on :class:`HorizonPort` only. :class:`SdkHorizon` talks to a real Horizon (the sandbox,
testnet or the public network) with timeouts; tests use a hand-written fake subclass. Every sdk exception is
turned into a :class:`HorizonError` by :func:`horizon_error`, the one place that maps HTTP statuses to codes.
Later steps of the engine (fees, submission, transaction lookup) add methods here.
"""

from __future__ import annotations

import abc
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.request import getproxies

from stellar_sdk import Server
from stellar_sdk.client.requests_client import RequestsClient
from stellar_sdk.exceptions import (
    BadRequestError,
    BadResponseError,
    BaseHorizonError,
    ConnectionError,
    NotFoundError,
    SdkError,
    raise_request_exception,
)
from stellar_sdk.xdr import OperationResultCode, TransactionResultCode
from stellar_sdk.xdr import TransactionResult as TransactionResultXdr

from paycrypt.core.errors import PayCryptError
from paycrypt.core.payments.fees import FeeStats
from paycrypt.core.values import Asset, parse_stroops

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS: Final = 10
MEMO_REQUIRED_KEY: Final = "config.memo_required"  # SEP-29 data entry, value "1" (base64 "MQ==")
MEMO_REQUIRED_VALUE: Final = "MQ=="


class HorizonError(PayCryptError):
    """Horizon (or friendbot) could not do what was asked; ``retriable`` says whether a retry may help."""

    code = "horizon_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        retriable: bool = False,
        result_codes: Mapping[str, Any] | None = None,
    ):
        super().__init__(
            message, code=code, details={"status": status, "result_codes": dict(result_codes or {})}
        )
        self.status = status
        self.retriable = retriable
        self.result_codes: dict[str, Any] = dict(result_codes or {})


class AccountNotFound(HorizonError):
    code = "account_not_found"


def horizon_error(err: Exception, *, doing: str) -> HorizonError:
    """The one mapping from stellar-sdk exceptions (and so HTTP statuses) to PayCrypt errors."""
    if isinstance(err, HorizonError):
        return err
    if isinstance(err, ConnectionError):
        return HorizonError(
            f"{doing}: Horizon is unreachable or timed out", code="horizon_unreachable", retriable=True
        )
    if isinstance(err, BaseHorizonError):
        status = err.status
        extras = err.extras or {}
        result_codes = extras.get("result_codes") or {}
        detail = (err.detail or err.title or "").strip()
        said = f" ({detail})" if detail else ""
        if isinstance(err, NotFoundError):
            return HorizonError(f"{doing}: not found{said}", code="horizon_not_found", status=status)
        if status == 429:
            return HorizonError(
                f"{doing}: rate limited by Horizon",
                code="horizon_rate_limited",
                status=status,
                retriable=True,
            )
        if status == 504:
            return HorizonError(
                f"{doing}: Horizon timed out{said}", code="horizon_timeout", status=status, retriable=True
            )
        if status == 503:
            return HorizonError(
                f"{doing}: Horizon is unavailable{said}",
                code="horizon_unavailable",
                status=status,
                retriable=True,
            )
        if isinstance(err, BadResponseError):
            return HorizonError(
                f"{doing}: Horizon failed{said}", code="horizon_server_error", status=status, retriable=True
            )
        if isinstance(err, BadRequestError):
            return HorizonError(
                f"{doing}: Horizon refused the request{said}",
                code="horizon_bad_request",
                status=status,
                result_codes=result_codes,
            )
        return HorizonError(f"{doing}: unexpected answer from Horizon (HTTP {status})", status=status)
    if isinstance(err, SdkError | ValueError | KeyError):
        return HorizonError(
            f"{doing}: unreadable answer from Horizon ({type(err).__name__})", code="horizon_bad_answer"
        )
    return HorizonError(f"{doing}: {type(err).__name__}")


# --- what the port answers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    asset: Asset
    stroops: int
    buying_liabilities: int = 0
    selling_liabilities: int = 0


@dataclass(frozen=True)
class Signer:
    key: str
    weight: int
    type: str = "ed25519_public_key"


@dataclass(frozen=True)
class Thresholds:
    low: int = 0
    medium: int = 0
    high: int = 0


@dataclass(frozen=True)
class AccountState:
    """The basics of an account as Horizon shows them; amounts in stroops."""

    account_id: str
    sequence: int
    balances: tuple[Balance, ...] = ()
    subentry_count: int = 0
    num_sponsoring: int = 0
    num_sponsored: int = 0
    thresholds: Thresholds = field(default_factory=Thresholds)
    signers: tuple[Signer, ...] = ()
    memo_required: bool = False  # SEP-29: the account refuses payments without a memo

    def balance_of(self, asset: Asset) -> Balance | None:
        return next((b for b in self.balances if b.asset == asset), None)

    @classmethod
    def from_horizon(cls, body: Mapping[str, Any]) -> AccountState:
        """Reads Horizon's account body (amount strings with 7 decimals) without a float in sight."""
        balances = []
        for entry in body.get("balances", []):
            if entry.get("asset_type") == "native":
                asset = Asset.native()
            elif entry.get("asset_type") in ("credit_alphanum4", "credit_alphanum12"):
                asset = Asset(code=entry["asset_code"], issuer=entry["asset_issuer"])
            else:  # liquidity pool shares are not assets the engine pays with
                continue
            balances.append(
                Balance(
                    asset=asset,
                    stroops=parse_stroops(entry["balance"], field="balance"),
                    buying_liabilities=parse_stroops(entry.get("buying_liabilities", "0"), field="balance"),
                    selling_liabilities=parse_stroops(entry.get("selling_liabilities", "0"), field="balance"),
                )
            )
        thresholds = body.get("thresholds", {})
        return cls(
            account_id=body["account_id"],
            sequence=int(body["sequence"]),
            balances=tuple(balances),
            subentry_count=int(body.get("subentry_count", 0)),
            num_sponsoring=int(body.get("num_sponsoring", 0)),
            num_sponsored=int(body.get("num_sponsored", 0)),
            thresholds=Thresholds(
                low=int(thresholds.get("low_threshold", 0)),
                medium=int(thresholds.get("med_threshold", 0)),
                high=int(thresholds.get("high_threshold", 0)),
            ),
            signers=tuple(
                Signer(key=s["key"], weight=int(s["weight"]), type=s.get("type", "ed25519_public_key"))
                for s in body.get("signers", [])
            ),
            memo_required=(body.get("data") or {}).get(MEMO_REQUIRED_KEY) == MEMO_REQUIRED_VALUE,
        )


@dataclass(frozen=True)
class FundingResult:
    account_id: str
    transaction_hash: str | None


# --- ledger, fees, submission (payment engine) ------------------------------------------------------------


@dataclass(frozen=True)
class LedgerInfo:
    sequence: int
    closed_at: datetime
    base_fee: int
    base_reserve: int
    max_tx_set_size: int


@dataclass(frozen=True)
class TransactionResult:
    """A transaction the ledger holds (or the 200 answer of a synchronous submit)."""

    hash: str
    ledger: int | None
    successful: bool
    fee_charged: int | None
    result_codes: dict[str, Any]

    @classmethod
    def from_horizon(cls, body: Mapping[str, Any]) -> TransactionResult:
        fee = body.get("fee_charged")
        return cls(
            hash=body["hash"],
            ledger=int(body["ledger"]) if body.get("ledger") is not None else None,
            successful=bool(body.get("successful", False)),
            fee_charged=int(fee) if fee is not None else None,
            result_codes=_result_codes_from_xdr(body.get("result_xdr")),
        )


def _result_codes_from_xdr(result_xdr: str | None) -> dict[str, Any]:
    """Horizon-style result codes decoded from a TransactionResult XDR (for stored, failed transactions)."""
    if not result_xdr:
        return {}
    try:
        result = TransactionResultXdr.from_xdr(result_xdr)
    except Exception:
        return {}
    code = result.result.code
    names = {
        TransactionResultCode.txSUCCESS: "tx_success",
        TransactionResultCode.txFAILED: "tx_failed",
    }
    codes: dict[str, Any] = {"transaction": names.get(code, _snake(code.name))}
    operations = getattr(result.result, "results", None) or []
    if code in (TransactionResultCode.txSUCCESS, TransactionResultCode.txFAILED):
        codes["operations"] = [_operation_code(op) for op in operations]
    return codes


def _operation_code(op: Any) -> str:
    if op.code != OperationResultCode.opINNER or op.tr is None:
        return _snake(op.code.name)
    for name in (
        "create_account_result",
        "payment_result",
        "change_trust_result",
        "set_options_result",
        "manage_data_result",
        "account_merge_result",
    ):
        inner = getattr(op.tr, name, None)
        if inner is not None:
            return _snake_op(inner.code.name)
    return "op_inner"


def _snake(name: str) -> str:
    """txBAD_SEQ -> tx_bad_seq, opNO_ACCOUNT -> op_no_account."""
    prefix = "tx" if name.startswith("tx") else "op"
    return f"{prefix}_{name[len(prefix) :].lower()}"


def _snake_op(name: str) -> str:
    """PAYMENT_UNDERFUNDED -> op_underfunded (the operation's own prefix dropped, as Horizon does)."""
    for prefix in (
        "CREATE_ACCOUNT_",
        "PAYMENT_",
        "CHANGE_TRUST_",
        "SET_OPTIONS_",
        "MANAGE_DATA_",
        "ACCOUNT_MERGE_",
    ):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    return "op_" + name.lower()


# --- the port ------------------------------------------------------------------------------------------


class HorizonPort(abc.ABC):
    """What the engine needs from the network. Methods raise HorizonError (or a subclass), nothing else."""

    @abc.abstractmethod
    def load_account(self, account_id: str) -> AccountState:
        """The account's state; AccountNotFound when it is not on the ledger."""

    @abc.abstractmethod
    def fund_with_friendbot(self, account_id: str) -> FundingResult:
        """Creates and funds the account through friendbot (sandbox and testnet only)."""

    @abc.abstractmethod
    def latest_ledger(self) -> LedgerInfo:
        """The last closed ledger: its close time decides whether an envelope can still apply."""

    @abc.abstractmethod
    def fee_stats(self) -> FeeStats:
        """Recent fees and how full ledgers are, for the fee quote."""

    @abc.abstractmethod
    def submit(self, envelope_xdr: str) -> TransactionResult:
        """Submits and waits for the ledger. A refusal raises HorizonError with ``result_codes``;
        a timeout, 5xx, 429 or transport error raises a retriable HorizonError."""

    @abc.abstractmethod
    def transaction(self, tx_hash: str) -> TransactionResult | None:
        """The transaction with this hash if a ledger holds it, else None."""

    def account_exists(self, account_id: str) -> bool:
        try:
            self.load_account(account_id)
        except AccountNotFound:
            return False
        return True


class SdkHorizon(HorizonPort):
    """The real adapter: stellar-sdk's sync ``Server`` with timeouts and bounded retries on GET.

    ``friendbot_url`` defaults to Horizon's own ``/friendbot`` (the sandbox and testnet Horizon serve it).
    """

    def __init__(
        self,
        horizon_url: str,
        *,
        timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
        retries: int = 2,
        friendbot_url: str | None = None,
        network_passphrase: str | None = None,
        pool_size: int = 32,
    ):
        self._url = horizon_url.rstrip("/")
        self._passphrase = network_passphrase
        self._client = RequestsClient(
            pool_size=pool_size,
            num_retries=retries,
            request_timeout=timeout_seconds,
            post_timeout=timeout_seconds,
        )
        _skip_per_request_environment_lookups(self._client)
        self._server = Server(self._url, client=self._client)
        self._friendbot_url = friendbot_url or f"{self._url}/friendbot"

    def __repr__(self) -> str:
        return f"SdkHorizon({self._url!r})"

    def close(self) -> None:
        self._server.close()

    def load_account(self, account_id: str) -> AccountState:
        try:
            body = self._server.accounts().account_id(account_id).call()
            return AccountState.from_horizon(body)
        except NotFoundError as err:
            raise AccountNotFound(f"account {account_id} does not exist on the ledger", status=404) from err
        except Exception as err:
            raise horizon_error(err, doing=f"loading account {account_id}") from err

    def fund_with_friendbot(self, account_id: str) -> FundingResult:
        doing = f"funding {account_id} with friendbot"
        try:
            response = self._client.get(self._friendbot_url, {"addr": account_id})
            raise_request_exception(response)
            body = response.json()
        except NotFoundError as err:
            raise HorizonError(
                f"{doing}: no friendbot at {self._friendbot_url} (the public network has none)",
                code="friendbot_unavailable",
                status=404,
            ) from err
        except BadRequestError as err:
            mapped = horizon_error(err, doing=doing)
            if mapped.code == "horizon_bad_request":
                # Friendbot refuses an account that already exists; the sentence from it says so.
                raise HorizonError(mapped.message, code="friendbot_refused", status=err.status) from err
            raise mapped from err
        except Exception as err:
            raise horizon_error(err, doing=doing) from err
        log.debug("friendbot funded %s", account_id)
        tx_hash = body.get("hash") if isinstance(body, dict) else None
        return FundingResult(account_id=account_id, transaction_hash=tx_hash)

    def latest_ledger(self) -> LedgerInfo:
        try:
            body = self._server.ledgers().order(desc=True).limit(1).call()
            record = body["_embedded"]["records"][0]
            return LedgerInfo(
                sequence=int(record["sequence"]),
                closed_at=_timestamp(record["closed_at"]),
                base_fee=int(record["base_fee_in_stroops"]),
                base_reserve=int(record["base_reserve_in_stroops"]),
                max_tx_set_size=int(record.get("max_tx_set_size", 1000)),
            )
        except Exception as err:
            raise horizon_error(err, doing="reading the latest ledger") from err

    def fee_stats(self) -> FeeStats:
        try:
            body = self._server.fee_stats().call()
            charged = body["fee_charged"]
            return FeeStats(
                base_fee=int(body["last_ledger_base_fee"]),
                capacity_usage=_decimal(body.get("ledger_capacity_usage", "0")),
                p70=int(charged["p70"]),
                p90=int(charged["p90"]),
                p99=int(charged["p99"]),
            )
        except Exception as err:
            raise horizon_error(err, doing="reading fee stats") from err

    def submit(self, envelope_xdr: str) -> TransactionResult:
        try:
            # The same POST the sdk's submit_transaction makes, without its two extra costs per payment:
            # re-parsing the envelope, and the SEP-29 memo check, which is done when the payment is
            # accepted (core/payments/accept.py), where the destination account is read anyway.
            response = self._client.post(f"{self._url}/transactions", data={"tx": envelope_xdr})
            raise_request_exception(response)
            body = response.json()
        except Exception as err:
            raise horizon_error(err, doing="submitting a transaction") from err
        return TransactionResult.from_horizon(body)

    def transaction(self, tx_hash: str) -> TransactionResult | None:
        try:
            body = self._server.transactions().transaction(tx_hash).call()
        except NotFoundError:
            return None
        except Exception as err:
            raise horizon_error(err, doing=f"looking up transaction {tx_hash}") from err
        return TransactionResult.from_horizon(body)


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _decimal(text: object) -> Decimal:
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return Decimal(0)


def _skip_per_request_environment_lookups(client: RequestsClient) -> None:
    """requests reads proxy settings from the environment on every call, a large share of a call's CPU.
    With no proxy configured there is nothing to find: read the CA bundle once and stop looking."""
    if getproxies():
        return
    session = client._session  # the sdk exposes no other way to tune its requests session
    session.trust_env = False
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
