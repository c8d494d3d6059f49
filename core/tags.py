"""Tag services: name a Stellar account (with an optional memo) by a short PayCrypt tag.

Each service takes raw input, checks it with the value objects, and does its work in one unit of work.
"""

from __future__ import annotations

import logging

from paycrypt.core.errors import ConflictError, NotFoundError
from paycrypt.core.records import TagRecord
from paycrypt.core.storage.reads import RowReader
from paycrypt.core.storage.tag_cache import NoTagCache, TagCache
from paycrypt.core.storage.tag_repository import record_from_row, tag_lookup
from paycrypt.core.storage.types import utcnow
from paycrypt.core.storage.unit_of_work import UnitOfWork
from paycrypt.core.values import AccountAddress, Memo, Tag

log = logging.getLogger(__name__)


def add_tag(
    tag: str,
    account: str,
    memo: str | None = None,
    memo_type: str | None = None,
    *,
    uow: UnitOfWork,
    actor: str = "system",
) -> TagRecord:
    """Names ``account`` (G... or M...) by ``tag``; custodial when PayCrypt holds the account's key."""
    name = Tag.parse(tag)
    address = AccountAddress.parse(account, field="account")
    parsed_memo = Memo.parse(memo, memo_type)
    with uow:
        if uow.tags.get(name) is not None:
            raise ConflictError(f"tag '{name}' already exists", code="tag_exists")
        now = utcnow()
        record = TagRecord(
            tag=name,
            account=address,
            memo=parsed_memo,
            custodial=uow.signing_keys.holds(address.account_id),
            created_at=now,
            updated_at=now,
        )
        uow.tags.add(record)
        uow.audit.record(
            actor=actor, action="tag.added", details={"tag": name.value, "account": address.address}
        )
        uow.commit()
    log.debug("added tag %s for %s", name, address)
    return record


def get_tag(tag: str, *, uow: UnitOfWork) -> TagRecord:
    name = Tag.parse(tag)
    with uow:
        record = uow.tags.get(name)
    if record is None:
        raise NotFoundError(f"no tag '{name}'", code="tag_not_found")
    return record


async def look_up_tag(tag: str, *, reader: RowReader, cache: TagCache | None = None) -> TagRecord:
    """The tag as stored now: from memory, or read by one statement outside any transaction (public
    resolution: the answer goes straight back to the caller, nothing else is read or written with it)."""
    name = Tag.parse(tag)
    cache = cache or NoTagCache()
    record = cache.get(name)
    if record is not None:
        return record
    ticket = cache.ticket()
    rows = await reader.fetch(*tag_lookup(name))
    if not rows:
        raise NotFoundError(f"no tag '{name}'", code="tag_not_found")
    record = record_from_row(rows[0])
    cache.remember((record,), ticket)
    return record


def find_pair(first: Tag, second: Tag, *, uow: UnitOfWork, cache: TagCache) -> dict[Tag, TagRecord]:
    """Whichever of the two tags exist (a payment's payer and payee): from memory when both are there,
    otherwise read together in one statement."""
    found = {name: record for name in (first, second) if (record := cache.get(name)) is not None}
    if len(found) == len({first, second}):
        return found
    ticket = cache.ticket()
    with uow:
        found = uow.tags.get_pair(first, second)
    cache.remember(found.values(), ticket)
    return found


def list_tags(*, uow: UnitOfWork) -> list[TagRecord]:
    with uow:
        return uow.tags.all()


def update_tag(
    tag: str,
    *,
    account: str | None = None,
    memo: str | None = None,
    memo_type: str | None = None,
    uow: UnitOfWork,
    actor: str = "system",
    cache: TagCache | None = None,
) -> TagRecord:
    """Points ``tag`` at another account and/or memo; an omitted account keeps the current one.

    The memo is replaced as given (none clears it); one unit of work, and the creation time is kept.
    ``cache``: this process's tag cache, which forgets the tag at once (others hear of it by notice)."""
    name = Tag.parse(tag)
    address = AccountAddress.parse(account, field="account") if account is not None else None
    parsed_memo = Memo.parse(memo, memo_type)
    with uow:
        current = uow.tags.get(name)
        if current is None:
            raise NotFoundError(f"no tag '{name}'", code="tag_not_found")
        new_address = address or current.account
        record = TagRecord(
            tag=name,
            account=new_address,
            memo=parsed_memo,
            custodial=uow.signing_keys.holds(new_address.account_id),
            created_at=current.created_at,
            updated_at=utcnow(),
        )
        uow.tags.remove(name)
        uow.tags.add(record)
        uow.audit.record(
            actor=actor,
            action="tag.updated",
            details={"tag": name.value, "account": new_address.address, "was": current.account.address},
        )
        uow.commit()
    if cache is not None:
        cache.forget(name)
    log.debug("updated tag %s: %s", name, new_address)
    return record


def remove_tag(
    tag: str, *, uow: UnitOfWork, actor: str = "system", cache: TagCache | None = None
) -> TagRecord:
    """Removes the tag. A signing key stays in the vault: the account may still hold funds.
    ``cache`` as in :func:`update_tag`."""
    name = Tag.parse(tag)
    with uow:
        record = uow.tags.get(name)
        if record is None or not uow.tags.remove(name):
            raise NotFoundError(f"no tag '{name}'", code="tag_not_found")
        uow.audit.record(
            actor=actor, action="tag.removed", details={"tag": name.value, "account": record.account.address}
        )
        uow.commit()
    if cache is not None:
        cache.forget(name)
    log.debug("removed tag %s (was %s)", name, record.account)
    return record
