"""Payments: limits, quote, send (idempotent), read one, and co-signatures."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from paycrypt.api.deps import Api, ApiServices, authorised, public
from paycrypt.api.responses import ShapedJSONResponse
from paycrypt.api.routes.common import AUTH, COMMON, errors
from paycrypt.api.schemas import (
    AssetText,
    LimitsOut,
    Money,
    PaymentAccepted,
    PaymentDetail,
    PaymentEventOut,
    PaymentOut,
    PaymentRequest,
    QuoteOut,
    SignatureIn,
    SigningOut,
    TagText,
)
from paycrypt.api.security import PAYMENTS_READ, PAYMENTS_WRITE, Principal
from paycrypt.core.errors import NotFoundError, ValidationError
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.accept import SendPayment, send_payment
from paycrypt.core.payments.client_keys import scoped_key, unscoped_key
from paycrypt.core.payments.cosign import add_detached_signature
from paycrypt.core.payments.model import Payment
from paycrypt.core.payments.quote import quote_payment
from paycrypt.core.values import format_stroops

router = APIRouter(prefix="/api/transactions", tags=["payments"], responses=errors(*COMMON))
reader = authorised("read", PAYMENTS_READ, PAYMENTS_WRITE)
payer = authorised("payment", PAYMENTS_WRITE)
PaymentId = Annotated[uuid.UUID, Path(description="The payment id")]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9_.:\-]+$",
        description="Sending again with the same key returns the same payment; another body is a 409",
    ),
]


@contextmanager
def _fields_named_as_in_the_request() -> Iterator[None]:
    """Core names what it checked (destination, tag); the client knows them as ``to`` and ``from``."""
    try:
        yield
    except ValidationError as err:
        err.field = {"destination": "to", "tag": "from"}.get(err.field or "", err.field)
        raise


def payment_out(payment: Payment) -> PaymentOut:
    body = payment.to_dict()
    body["idempotency_key"] = unscoped_key(payment.idempotency_key)
    return PaymentOut.model_validate(body)


@router.get("/payment/limits", response_model=LimitsOut, dependencies=[Depends(public("public"))])
async def payment_limits(api: Api) -> ShapedJSONResponse:
    """The limits in force: per payment, per tag per UTC day, and for the whole service."""
    return ShapedJSONResponse(api.settings.limits.as_dict())  # LimitsOut's fields, money as strings


@router.get("/payment/quote", response_model=QuoteOut, responses=errors(*AUTH, 404, 502))
def payment_quote(
    principal: Annotated[Principal, Depends(reader)],
    api: Api,
    source: Annotated[TagText, Query(alias="from", description="The paying tag")],
    asset: Annotated[AssetText, Query()] = "native",
    amount: Annotated[Money | None, Query()] = None,
) -> QuoteOut:
    """Fee, spendable balance and what is left of today's limits, without sending anything."""
    principal.check_tag(source)
    with _fields_named_as_in_the_request():
        quote = quote_payment(api.container.payments, source, asset=asset, amount=amount)
    left = quote.headroom
    return QuoteOut.model_validate(
        {
            "from": quote.source_tag,
            "asset": str(quote.asset),
            "fee": {
                "per_operation": format_stroops(quote.fee.per_operation),
                "total": format_stroops(quote.fee.total),
                "surge": quote.fee.surge,
                "capped": quote.fee.capped,
            },
            "spendable": format_stroops(quote.spendable_stroops),
            "headroom": {
                "tag_amount": format_stroops(left.tag_stroops),
                "tag_count": left.tag_count,
                "global_amount": format_stroops(left.global_stroops),
            },
            "amount": format_stroops(quote.amount_stroops) if quote.amount_stroops is not None else None,
            "fits": quote.fits,
        }
    )


@router.post(
    "/payment", status_code=202, response_model=PaymentAccepted, responses=errors(*AUTH, 404, 409, 502)
)
def send(
    body: PaymentRequest,
    idempotency_key: IdempotencyKey,
    response: Response,
    principal: Annotated[Principal, Depends(payer)],
    api: Api,
) -> PaymentAccepted:
    """Accept a payment (scope payments:write). The worker signs and submits it; follow status_url."""
    principal.check_tag(body.from_)
    command = SendPayment(
        source=body.from_,
        destination=body.to,
        amount=body.amount,
        asset=body.asset,
        memo=body.memo,
        memo_type=body.memo_type,
        idempotency_key=scoped_key(principal.subject, idempotency_key),
    )
    with _fields_named_as_in_the_request():
        accepted = send_payment(api.container.payments, command)
    payment = accepted.payment
    status_url = f"/api/transactions/{payment.id}"
    response.headers["Location"] = status_url
    return PaymentAccepted(
        id=payment.id,
        status=payment.status,
        status_url=status_url,
        created=accepted.created,
        payment=payment_out(payment),
    )


def _visible(
    api: ApiServices, principal: Principal, payment_id: uuid.UUID
) -> tuple[Payment, list[PaymentEventOut]]:
    with api.container.unit_of_work() as uow:
        payment = uow.payments.get(str(payment_id))
        events = uow.payments.events(str(payment_id)) if payment is not None else []
    if payment is None or not principal.may_see(payment.source_tag, payment.destination_tag):
        raise NotFoundError(f"no payment {payment_id}", code="payment_not_found")
    return payment, [PaymentEventOut(status=e.status, at=e.at.isoformat(), detail=e.detail) for e in events]


def _detail(api: ApiServices, payment: Payment, events: list[PaymentEventOut]) -> PaymentDetail:
    signing = None
    if payment.status is PaymentStatus.AWAITING_SIGNATURES and payment.envelope_xdr and payment.tx_hash:
        signing = SigningOut(
            hash=payment.tx_hash,
            envelope_xdr=payment.envelope_xdr,
            network_passphrase=api.settings.network_passphrase,
        )
    return PaymentDetail(**payment_out(payment).model_dump(), events=events, signing=signing)


@router.get("/{payment_id}", response_model=PaymentDetail, responses=errors(*AUTH, 404))
def get_payment(
    payment_id: PaymentId, principal: Annotated[Principal, Depends(reader)], api: Api
) -> PaymentDetail:
    """A payment and every state it went through; co-signers also find what to sign here."""
    payment, events = _visible(api, principal, payment_id)
    return _detail(api, payment, events)


@router.post("/{payment_id}/signatures", response_model=PaymentDetail, responses=errors(*AUTH, 404, 409, 502))
def add_cosignature(
    payment_id: PaymentId,
    body: SignatureIn,
    principal: Annotated[Principal, Depends(payer)],
    api: Api,
) -> PaymentDetail:
    """A co-signer's ed25519 signature over signing.hash, checked against the account's signers."""
    _visible(api, principal, payment_id)
    try:
        signature = base64.b64decode(body.signature, validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    if len(signature) != 64:
        raise ValidationError(
            "signature: base64 of a 64-byte ed25519 signature", code="signature_invalid", field="signature"
        )
    add_detached_signature(api.container.payments, str(payment_id), body.public_key, signature)
    payment, events = _visible(api, principal, payment_id)
    return _detail(api, payment, events)
