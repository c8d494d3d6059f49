"""The federation port (SEP-2): turns ``name*domain`` into an account and memo.

:class:`Sep2Federation` is the real adapter (stellar-sdk's client, with a timeout and no retry storm);
:class:`CachedFederation` wraps any adapter with a TTL cache; tests use a hand-written fake subclass.
Federation for PayCrypt's own domain never comes here: it is answered from our tags (core/destinations).
"""

from __future__ import annotations

import abc
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from stellar_sdk.client.requests_client import RequestsClient
from stellar_sdk.exceptions import ConnectionError, ContentSizeLimitExceededError
from stellar_sdk.sep.exceptions import (
    BadFederationResponseError,
    FederationServerNotFoundError,
    StellarTomlNotFoundError,
)
from stellar_sdk.sep.federation import resolve_stellar_address

from paycrypt.core.errors import PayCryptError, ValidationError
from paycrypt.core.values import AccountAddress, FederationAddress, Memo

DEFAULT_TIMEOUT_SECONDS: Final = 5
DEFAULT_TTL_SECONDS: Final = 300.0


class FederationError(PayCryptError):
    code = "federation_failed"


@dataclass(frozen=True)
class FederationAnswer:
    address: FederationAddress
    account: AccountAddress
    memo: Memo


class FederationPort(abc.ABC):
    @abc.abstractmethod
    def resolve(self, address: FederationAddress) -> FederationAnswer:
        """The account behind ``address``; else FederationError (``federation_not_found`` when unknown)."""


def read_answer(
    address: FederationAddress, account_id: str | None, memo_type: str | None, memo: str | None
) -> FederationAnswer:
    """Checks what a federation server said: it is input from a stranger, like anything typed by a user."""
    try:
        account = AccountAddress.parse(account_id or "", field="account_id")
        parsed_memo = Memo.from_federation(memo_type, memo)
    except ValidationError as err:
        raise FederationError(
            f"the federation server of {address.domain} gave an unusable answer for {address}: {err.message}",
            code="federation_bad_answer",
        ) from None
    return FederationAnswer(address=address, account=account, memo=parsed_memo)


class Sep2Federation(FederationPort):
    """Asks the domain's stellar.toml for FEDERATION_SERVER, then asks that server (stellar-sdk SEP-2)."""

    def __init__(self, *, timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS, use_http: bool = False):
        # One retry at most: a user is waiting, and a federation server that is down stays down.
        self._client = RequestsClient(num_retries=1, request_timeout=timeout_seconds)
        self._use_http = use_http

    def resolve(self, address: FederationAddress) -> FederationAnswer:
        try:
            record = resolve_stellar_address(str(address), client=self._client, use_http=self._use_http)
        except BadFederationResponseError as err:
            if err.status == 404:
                raise FederationError(
                    f"{address} is unknown to its federation server", code="federation_not_found"
                ) from err
            raise FederationError(
                f"the federation server for {address.domain} answered HTTP {err.status}",
                code="federation_failed",
            ) from err
        except (StellarTomlNotFoundError, FederationServerNotFoundError) as err:
            raise FederationError(
                f"{address.domain} publishes no federation server in its stellar.toml",
                code="federation_server_not_found",
            ) from err
        except ConnectionError as err:
            raise FederationError(
                f"cannot reach {address.domain} for federation (unreachable or timed out)",
                code="federation_unreachable",
            ) from err
        except (ContentSizeLimitExceededError, ValueError) as err:
            raise FederationError(
                f"{address.domain} sent an unreadable stellar.toml or federation answer",
                code="federation_bad_answer",
            ) from err
        return read_answer(address, record.account_id, record.memo_type, record.memo)


class CachedFederation(FederationPort):
    """Keeps successful answers for ``ttl_seconds`` (bounded in size); failures are not cached."""

    def __init__(
        self,
        inner: FederationPort,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._inner = inner
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[FederationAddress, tuple[float, FederationAnswer]] = OrderedDict()
        self._lock = threading.Lock()

    def resolve(self, address: FederationAddress) -> FederationAnswer:
        now = self._clock()
        with self._lock:
            cached = self._entries.get(address)
            if cached is not None and cached[0] > now:
                return cached[1]
        # The network call happens outside the lock so one slow domain does not stall every other lookup.
        answer = self._inner.resolve(address)
        with self._lock:
            self._entries[address] = (now + self._ttl, answer)
            self._entries.move_to_end(address)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return answer
