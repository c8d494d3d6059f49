"""The Horizon adapter: stellar-sdk's sync ``Server`` with timeouts and bounded retries; answers are mapped
by core/horizon_answers.py, and many submissions at once can go through core/horizon_async.py."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Final
from urllib.parse import urlsplit
from urllib.request import getproxies

import urllib3
from stellar_sdk import Server
from stellar_sdk.client.requests_client import RequestsClient
from stellar_sdk.client.response import Response
from stellar_sdk.exceptions import BadRequestError, ConnectionError, NotFoundError, raise_request_exception

from paycrypt.core.horizon import (
    AccountNotFound,
    AccountState,
    FundingResult,
    HorizonError,
    HorizonPort,
    LedgerInfo,
    TransactionResult,
)
from paycrypt.core.horizon_answers import ca_bundle, form_body, horizon_error
from paycrypt.core.horizon_async import AsyncPoster
from paycrypt.core.payments.fees import FeeStats

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "SdkHorizon", "horizon_error"]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS: Final = 10


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
        self._timeout_seconds = timeout_seconds
        self._passphrase = network_passphrase
        self._client = RequestsClient(
            pool_size=pool_size,
            num_retries=retries,
            request_timeout=timeout_seconds,
            post_timeout=timeout_seconds,
        )
        _skip_per_request_environment_lookups(self._client)
        self._server = Server(self._url, client=self._client)
        # Submissions go through urllib3 directly, a fraction of the CPU of a requests call, unless a proxy
        # is configured (requests knows how to use one). No client-side retries: submit_until_final
        # decides when the same envelope is sent again.
        self._poster = (
            None
            if getproxies()
            else urllib3.PoolManager(
                num_pools=2,
                maxsize=pool_size,
                retries=False,
                timeout=urllib3.Timeout(connect=timeout_seconds, read=timeout_seconds),
                ca_certs=ca_bundle(),
            )
        )
        # Every submission goes to the same host: its connection pool is looked up once, not per POST.
        self._submit_pool = None if self._poster is None else self._poster.connection_from_url(self._url)
        self._submit_path = (urlsplit(self._url).path or "") + "/transactions"
        self._submit_headers = {**self._client.headers, "Content-Type": "application/x-www-form-urlencoded"}
        self._friendbot_url = friendbot_url or f"{self._url}/friendbot"

    def __repr__(self) -> str:
        return f"SdkHorizon({self._url!r})"

    def poster(self, concurrency: int) -> AsyncPoster | None:
        """Posts from one event loop, unless a proxy is configured (the sync client knows how to use it)."""
        if self._submit_pool is None:
            return None
        return AsyncPoster(
            self._url,
            headers=self._submit_headers,
            timeout_seconds=self._timeout_seconds,
            concurrency=concurrency,
            ca_bundle=ca_bundle(),
        )

    def close(self) -> None:
        self._server.close()
        if self._poster is not None:
            self._poster.clear()

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
            response = self._post(f"{self._url}/transactions", envelope_xdr)
            raise_request_exception(response)
            body = response.json()
        except Exception as err:
            raise horizon_error(err, doing="submitting a transaction") from err
        return TransactionResult.from_horizon(body)

    def _post(self, url: str, envelope_xdr: str) -> Response:
        if self._submit_pool is None:
            return self._client.post(url, data={"tx": envelope_xdr})
        body = form_body(envelope_xdr)
        try:
            answer = self._submit_pool.urlopen(
                "POST",
                self._submit_path,
                body=body,
                headers=self._submit_headers,
                retries=False,
                redirect=False,
            )
        except urllib3.exceptions.HTTPError as err:
            raise ConnectionError(err) from err
        return Response(answer.status, answer.data.decode("utf-8", "replace"), dict(answer.headers), url)

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
    session.verify = ca_bundle() or True
