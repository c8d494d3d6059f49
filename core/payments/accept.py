"""Accepting a payment request: validate everything, check limits and funds, store it once.

Nothing is stored unless every check passes; the same idempotency key always returns the same payment.
Network calls (federation, Horizon) happen before the unit of work opens: a slow Horizon never holds a lock.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from dataclasses import dataclass, fields, replace
from datetime import date

from sqlalchemy.exc import IntegrityError

from paycrypt.core.control import HELD_DETAIL, is_paused
from paycrypt.core.destinations import Destination, destination_tag, resolve_destination
from paycrypt.core.errors import ConflictError, NotFoundError, PayCryptError, ValidationError
from paycrypt.core.horizon import AccountNotFound, AccountState
from paycrypt.core.limits import reserve_daily_usage
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.admission import admit_at_once
from paycrypt.core.payments.balances import spendable
from paycrypt.core.payments.engine import PaymentEngine
from paycrypt.core.payments.fees import quote_fee
from paycrypt.core.payments.model import Payment
from paycrypt.core.records import TagRecord
from paycrypt.core.storage.unit_of_work import UnitOfWork
from paycrypt.core.tags import find_pair, get_tag
from paycrypt.core.values import Amount, Asset, Memo, Tag, format_stroops

log = logging.getLogger(__name__)

_KEY = re.compile(r"[A-Za-z0-9_.:\-]{1,255}", re.ASCII)


class InsufficientFunds(PayCryptError):
    code = "insufficient_balance"


@dataclass(frozen=True)
class SendPayment:
    """A request to pay, as a client or operator gives it: every field still raw text."""

    source: str
    destination: str
    amount: str
    asset: str = "native"
    memo: str | None = None
    memo_type: str | None = None
    idempotency_key: str | None = None

    def fingerprint(self) -> str:
        """The request's body without its key (every field is text or None, so no deep copy is needed)."""
        body = {f.name: getattr(self, f.name) for f in _BODY_FIELDS}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


_BODY_FIELDS = tuple(f for f in fields(SendPayment) if f.name != "idempotency_key")


@dataclass(frozen=True)
class Accepted:
    payment: Payment
    created: bool  # False when the idempotency key named an existing payment


def send_payment(engine: PaymentEngine, command: SendPayment) -> Accepted:
    key = _idempotency_key(command.idempotency_key)
    fingerprint = command.fingerprint()
    if command.idempotency_key is not None:  # a key made up here is new by construction
        existing = _existing(engine, key, fingerprint)
        if existing is not None:
            return Accepted(existing, created=False)

    amount = Amount.parse(command.amount)
    asset = Asset.parse(command.asset)
    requested_memo = Memo.parse(command.memo, command.memo_type)
    engine.policy.limits.check_amount(amount.stroops)
    source, destination = _parties(engine, command)
    memo = _memo(requested_memo, destination)
    if destination.account.address == source.account.address and memo == source.memo:
        raise ValidationError("a payment to oneself is not allowed", code="self_payment", field="to")

    source_state = _load_source(engine, source.account.account_id)
    operation = _operation(engine, destination, asset, amount, memo)
    ledger = engine.latest_ledger()
    fee = quote_fee(engine.fee_stats(), operations=1, max_per_operation=engine.policy.max_fee_per_operation)
    available = spendable(source_state, asset, base_reserve=ledger.base_reserve, fee=fee.total)
    if available < amount.stroops:
        raise InsufficientFunds(
            f"{source.tag} can spend {format_stroops(available)} of {asset} now "
            f"(after its reserve and a fee of {format_stroops(fee.total)}), less than {amount}"
        )

    now = engine.clock()
    payment_id = str(uuid.uuid4())
    values: dict[str, object] = {
        "id": payment_id,
        "idempotency_key": key,
        "request_hash": fingerprint,
        "operation": operation,
        "source_tag": source.tag.value,
        "source_account": source.account.account_id,
        "destination": command.destination.strip(),
        "destination_tag": destination.tag.value if destination.tag else None,
        "destination_account": destination.account.address,
        "asset_code": asset.code,
        "asset_issuer": asset.issuer,
        "amount_stroops": amount.stroops,
        "fee_stroops": fee.total,
        "memo_type": memo.stored_type,
        "memo": memo.value,
        "limit_day": now.date().isoformat(),
        "created_at": now,
    }
    try:
        payment = _store(engine, values, source.tag.value, amount.stroops, now.date())
    except IntegrityError:
        # The same key raced in from another request and won: answer with that payment.
        existing = _existing(engine, key, fingerprint)
        if existing is None:
            raise
        return Accepted(existing, created=False)
    log.info(
        "accepted payment %s: %s %s from %s to %s",
        payment.id,
        payment.amount,
        asset,
        source.tag,
        payment.destination,
    )
    return Accepted(payment, created=True)


def _store(engine: PaymentEngine, values: dict[str, object], tag: str, stroops: int, day: date) -> Payment:
    """Counts the payment against today's limits and stores it, held when payments are paused; or raises
    LimitExceeded and stores nothing. On PostgreSQL one statement does it in the common case."""
    limits = engine.policy.limits
    unit_of_work = engine.uow_factory()
    if unit_of_work.dialect == "postgresql":
        with unit_of_work.one_statement() as uow:
            admitted = admit_at_once(uow, limits, values)
        if admitted is not None:
            return admitted
    with unit_of_work as uow:
        paused = is_paused(uow)
        values["status"] = (PaymentStatus.HELD if paused else PaymentStatus.RECEIVED).value
        reserve_daily_usage(uow, limits, tag, stroops, day)
        payment = uow.payments.add(values, detail=HELD_DETAIL if paused else None)
        uow.commit()
    return payment


def _idempotency_key(key: str | None) -> str:
    if key is None:
        return f"auto:{uuid.uuid4()}"
    if not _KEY.fullmatch(key):
        raise ValidationError(
            "idempotency key: 1-255 characters of letters, digits, '_', '.', ':' or '-'",
            code="idempotency_key_invalid",
            field="idempotency_key",
        )
    return key


def _existing(engine: PaymentEngine, key: str, fingerprint: str) -> Payment | None:
    with engine.uow_factory() as uow:
        payment = uow.payments.by_idempotency_key(key)
    if payment is not None and payment.request_hash != fingerprint:
        raise ConflictError(
            "this idempotency key was used for a different payment", code="idempotency_key_reused"
        )
    return payment


def _parties(engine: PaymentEngine, command: SendPayment) -> tuple[TagRecord, Destination]:
    """The paying tag and where the money goes. Two tags are read in one statement; a federation address
    is resolved with no unit of work open, as it may need the network."""
    source = Tag.parse(command.source)
    payee = destination_tag(command.destination)
    if payee is None:
        if "*" in command.destination:
            return get_tag(source.value, uow=engine.uow_factory()), _destination(engine, command.destination)
        with engine.uow_factory().reading() as uow:  # an address
            return get_tag(source.value, uow=uow), _destination(engine, command.destination, uow=uow)
    found = find_pair(source, payee, uow=engine.uow_factory().reading(), cache=engine.tags)
    if source not in found:
        raise NotFoundError(f"no tag '{source}'", code="tag_not_found")
    if payee not in found:
        raise NotFoundError(f"no tag '{payee}'", code="tag_not_found")
    record = found[payee]
    return found[source], Destination(account=record.account, memo=record.memo, tag=record.tag)


def _destination(engine: PaymentEngine, text: str, *, uow: UnitOfWork | None = None) -> Destination:
    # The unit of work is opened only for a tag lookup, never around a federation request.
    found = resolve_destination(
        text,
        uow=uow or engine.uow_factory(),
        federation=engine.federation,
        own_domain=engine.policy.own_federation_domain,
    )
    if found.tag is None:
        # Paid by address: still file it under the receiving tag's history when one tag names it.
        with uow or engine.uow_factory() as uow:
            named = [
                r
                for r in uow.tags.by_address(found.account.address)
                if found.memo.is_none or r.memo == found.memo
            ]
        if len(named) == 1:
            return replace(found, tag=named[0].tag)
    return found


def _memo(requested: Memo, destination: Destination) -> Memo:
    if destination.memo.is_none:
        return requested
    if requested.is_none or requested == destination.memo:
        return destination.memo
    raise ValidationError(
        f"{destination.tag or destination.account.address} needs memo {destination.memo}; "
        f"a different memo ({requested}) was given",
        code="memo_conflict",
        field="memo",
    )


def _load_source(engine: PaymentEngine, account_id: str) -> AccountState:
    try:
        return engine.recent_account(account_id)
    except AccountNotFound:
        raise NotFoundError(
            f"the source account {account_id} is not on the ledger yet (fund it first)",
            code="source_account_missing",
        ) from None


def _operation(
    engine: PaymentEngine, destination: Destination, asset: Asset, amount: Amount, memo: Memo
) -> str:
    """ "payment", or "create_account" when the destination does not exist and the amount can create it."""
    try:
        state = engine.recent_account(destination.account.account_id)
    except AccountNotFound:
        reserve = engine.latest_ledger().base_reserve
        needed = 2 * reserve
        if not asset.is_native:
            raise ValidationError(
                f"the destination account does not exist; only a native payment of at least "
                f"{format_stroops(needed)} can create it",
                code="destination_missing",
                field="to",
            ) from None
        if destination.account.is_muxed:
            raise ValidationError(
                "the destination account does not exist, and a muxed address cannot create it",
                code="destination_missing",
                field="to",
            ) from None
        if amount.stroops < needed:
            raise ValidationError(
                f"the destination does not exist; creating it takes at least {format_stroops(needed)}",
                code="destination_missing",
                field="amount",
            ) from None
        return "create_account"
    if state.memo_required and memo.is_none:
        raise ValidationError(
            "the destination account requires a memo (SEP-29); add one", code="memo_required", field="memo"
        )
    if not asset.is_native and state.balance_of(asset) is None:
        raise ValidationError(
            f"the destination has no trustline for {asset}", code="destination_no_trust", field="asset"
        )
    return "payment"
