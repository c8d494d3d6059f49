"""PayCrypt as a SEP-2 federation server for its own tags: ``tag*our-domain`` <-> account and memo.

The API's ``GET /federation`` renders these answers; nothing here knows about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass

from paycrypt.core.errors import NotFoundError, ValidationError
from paycrypt.core.federation import FederationError
from paycrypt.core.records import TagRecord
from paycrypt.core.storage.unit_of_work import UnitOfWork
from paycrypt.core.tags import get_tag
from paycrypt.core.values import AccountAddress, FederationAddress


@dataclass(frozen=True)
class FederationRecord:
    """A SEP-2 answer: the address, the account to pay and the memo payments must carry."""

    stellar_address: str
    account_id: str
    memo_type: str | None
    memo: str | None


def federation_by_name(query: str, *, own_domain: str | None, uow: UnitOfWork) -> FederationRecord:
    """``tag*own_domain`` to its record; another domain, or an unknown tag, is not found."""
    domain = _own(own_domain)
    address = FederationAddress.parse(query, field="q")
    if address.domain != domain:
        raise NotFoundError(f"{address.domain} is not served here", code="federation_not_found")
    try:
        record = get_tag(address.name, uow=uow)
    except (NotFoundError, ValidationError):
        raise NotFoundError(f"{address} is not one of our tags", code="federation_not_found") from None
    return _answer(record, domain)


def federation_by_id(query: str, *, own_domain: str | None, uow: UnitOfWork) -> FederationRecord:
    """A G... account to the one tag that names it without a memo (a shared account has no single name)."""
    domain = _own(own_domain)
    account = AccountAddress.parse(query, field="q")
    with uow:
        records = [r for r in uow.tags.by_address(account.address) if r.memo.is_none]
    if len(records) != 1:
        raise NotFoundError(f"no single tag names {account.address}", code="federation_not_found")
    return _answer(records[0], domain)


def _own(own_domain: str | None) -> str:
    if own_domain is None:
        raise FederationError(
            "federation is not served here (PAYCRYPT_FEDERATION_DOMAIN is not set)",
            code="federation_disabled",
        )
    return own_domain.strip().lower()


def _answer(record: TagRecord, domain: str) -> FederationRecord:
    return FederationRecord(
        stellar_address=f"{record.tag.value}*{domain}",
        account_id=record.account.address,
        memo_type=record.memo.stored_type,
        memo=record.memo.value,
    )
