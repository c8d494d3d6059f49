"""The Horizon port: what the engine asks of a Stellar network, in the engine's own terms.

The engine depends on :class:`HorizonPort` only. The real adapter is
:class:`paycrypt.core.horizon_sdk.SdkHorizon` (stellar-sdk); tests use hand-written fake subclasses.
Every method raises :class:`HorizonError` (``retriable`` says whether trying again may help), nothing else.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from paycrypt.core.errors import PayCryptError
from paycrypt.core.horizon_results import result_codes_from_xdr
from paycrypt.core.payments.fees import FeeStats

if TYPE_CHECKING:
    from paycrypt.core.horizon_async import AsyncPoster
from paycrypt.core.values import Asset, parse_stroops

log = logging.getLogger(__name__)

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
        successful = bool(body.get("successful", False))
        return cls(
            hash=body["hash"],
            ledger=int(body["ledger"]) if body.get("ledger") is not None else None,
            successful=successful,
            fee_charged=int(fee) if fee is not None else None,
            # A success's codes say only that; a failure's name what failed.
            result_codes={} if successful else result_codes_from_xdr(body.get("result_xdr")),
        )


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

    def poster(self, concurrency: int) -> AsyncPoster | None:
        """A poster that keeps up to ``concurrency`` submissions in flight from one event loop, or None
        (then each submission takes a thread). Not started: the caller starts and closes it."""
        return None

    def account_exists(self, account_id: str) -> bool:
        try:
            self.load_account(account_id)
        except AccountNotFound:
            return False
        return True
