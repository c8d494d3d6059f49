"""Destination resolution: a tag, a G.../M... address, or a federation address, to an account and memo."""

from __future__ import annotations

from dataclasses import dataclass

from paycrypt.core.errors import NotFoundError, ValidationError
from paycrypt.core.federation import FederationError, FederationPort
from paycrypt.core.storage.unit_of_work import UnitOfWork
from paycrypt.core.tags import get_tag
from paycrypt.core.values import AccountAddress, FederationAddress, Memo, Tag
from paycrypt.core.values.addresses import TAG_MAX


@dataclass(frozen=True)
class Destination:
    """Where a payment goes: the account (as G... or M...), the memo it needs, and the tag if one named it."""

    account: AccountAddress
    memo: Memo
    tag: Tag | None = None
    federation_address: FederationAddress | None = None

    @property
    def account_id(self) -> str:
        return self.account.address


def resolve_tag(tag: str, *, uow: UnitOfWork) -> Destination:
    record = get_tag(tag, uow=uow)
    return Destination(account=record.account, memo=record.memo, tag=record.tag)


def resolve_destination(
    destination: str,
    *,
    uow: UnitOfWork,
    federation: FederationPort | None,
    own_domain: str | None = None,
) -> Destination:
    """Reads what a user typed as a destination.

    ``name*domain`` goes to federation, except for ``own_domain`` (PayCrypt is the federation server for its
    own tags) which is answered from the tags table. Anything longer than a tag is taken as an address.
    """
    text = destination.strip() if isinstance(destination, str) else ""
    if "*" in text:
        address = FederationAddress.parse(text)
        if own_domain is not None and address.domain == own_domain.strip().lower():
            try:
                found = resolve_tag(address.name, uow=uow)
            except (NotFoundError, ValidationError):
                raise NotFoundError(
                    f"{address} is not one of our tags", code="federation_not_found"
                ) from None
            return Destination(
                account=found.account, memo=found.memo, tag=found.tag, federation_address=address
            )
        if federation is None:
            raise FederationError("federation lookups are not enabled here", code="federation_disabled")
        # A network call: callers must not hold a unit of work open around this function.
        answer = federation.resolve(address)
        return Destination(account=answer.account, memo=answer.memo, federation_address=address)
    payee = destination_tag(text)
    if payee is None:
        return Destination(account=AccountAddress.parse(text), memo=Memo.none())
    return resolve_tag(payee.value, uow=uow)


def destination_tag(destination: str) -> Tag | None:
    """The tag a destination names; None when it is a federation address (``name*domain``) or an address
    (anything longer than a tag). Text that is none of these is refused as ``destination_invalid``."""
    text = destination.strip() if isinstance(destination, str) else ""
    if "*" in text or len(text) > TAG_MAX:
        return None
    try:
        return Tag.parse(text)
    except ValidationError:
        raise ValidationError(
            "destination: expected a tag, a G... or M... address, or a federation address name*domain",
            code="destination_invalid",
            field="destination",
        ) from None
