"""Request and response models: they check input at the edge and make the OpenAPI document exact.

Text input is refused when it holds control characters or unpaired surrogates (nothing a payment, tag or
reason needs, and what a database or a spreadsheet would choke on); money is always a decimal string.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from paycrypt.core.payment_status import PaymentStatus


def _plain(value: str) -> str:
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        raise ValueError("must not contain control characters or invalid unicode")
    return value


_PLAIN = AfterValidator(_plain)
TagText = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=32), _PLAIN]
AddressText = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=69), _PLAIN]
MemoText = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=64), _PLAIN]
DestinationText = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=255), _PLAIN]
AssetText = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=70), _PLAIN]
ReasonText = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=500), _PLAIN]
SignatureText = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=128), _PLAIN]


MemoType = Literal["text", "id", "hash"]
Money = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=32, pattern=r"^[0-9]+(\.[0-9]+)?$"),
    Field(description="A decimal string, at most 7 decimals", examples=["12.5"]),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


# --- errors --------------------------------------------------------------------------------------------


class ErrorDetail(_Out):
    code: str = Field(description="Stable, machine-readable")
    message: str = Field(description="One plain sentence")
    request_id: str
    field: str | None = Field(default=None, description="The input at fault, for validation errors")
    details: dict[str, Any] | None = None


class ErrorResponse(_Out):
    error: ErrorDetail


# --- service -------------------------------------------------------------------------------------------


class ServiceInfo(_Out):
    service: str
    version: str
    network: str
    paused: bool


class Liveness(_Out):
    status: Literal["ok"]


class Readiness(_Out):
    status: Literal["ready"]
    checks: dict[str, str]


class LimitsOut(_Out):
    min_amount: str
    max_amount: str
    tag_daily_amount: str
    tag_daily_count: int
    global_daily_amount: str


# --- tags ----------------------------------------------------------------------------------------------


class TagOut(_Out):
    """What anyone may know about a tag: where to pay and the memo to use."""

    tag: str
    account: str = Field(description="The G... or M... address to pay")
    account_id: str = Field(description="The G... account")
    memo_type: MemoType | None
    memo: str | None


class TagRecordOut(TagOut):
    custodial: bool
    created_at: str
    updated_at: str


class TagCreate(_In):
    tag: TagText
    account: AddressText
    memo: MemoText | None = None
    memo_type: MemoType | None = None


class TagUpdate(_In):
    account: AddressText | None = None
    memo: MemoText | None = None
    memo_type: MemoType | None = None


# --- payments ------------------------------------------------------------------------------------------


class PaymentRequest(_In):
    from_: TagText = Field(alias="from", description="The paying tag")
    to: DestinationText = Field(description="A tag, a G.../M... address or name*domain")
    amount: Money
    asset: AssetText = "native"
    memo: MemoText | None = None
    memo_type: MemoType | None = None


class PaymentError(_Out):
    code: str
    message: str | None


class PaymentEventOut(_Out):
    status: PaymentStatus
    at: str
    detail: dict[str, Any] | None


class SigningOut(_Out):
    """For co-signers of a payment awaiting signatures: what to sign (the hash) and what it is."""

    hash: str
    envelope_xdr: str
    network_passphrase: str


class PaymentOut(_Out):
    id: str
    idempotency_key: str
    status: PaymentStatus
    operation: str
    from_: str | None = Field(alias="from")
    source_account: str
    to: str
    destination_tag: str | None
    destination_account: str
    asset: str
    amount: str
    memo_type: str | None
    memo: str | None
    fee: str | None
    hash: str | None
    ledger: int | None
    result_codes: dict[str, Any] | None
    error: PaymentError | None
    created_at: str
    updated_at: str
    submitted_at: str | None
    completed_at: str | None


class PaymentDetail(PaymentOut):
    events: list[PaymentEventOut]
    signing: SigningOut | None = None


class PaymentAccepted(_Out):
    id: str
    status: PaymentStatus
    status_url: str
    created: bool = Field(description="False when the Idempotency-Key named an earlier, identical request")
    payment: PaymentOut


class SignatureIn(_In):
    public_key: AddressText = Field(description="The co-signer's G... key")
    signature: SignatureText = Field(
        description="Base64 of the ed25519 signature over the transaction hash (see signing.hash)"
    )


class HistoryOut(_Out):
    tag: str
    payments: list[PaymentOut]
    next_cursor: str | None


class FeeOut(_Out):
    per_operation: str
    total: str
    surge: bool
    capped: bool


class HeadroomOut(_Out):
    tag_amount: str
    tag_count: int
    global_amount: str


class QuoteOut(_Out):
    from_: str = Field(alias="from")
    asset: str
    fee: FeeOut
    spendable: str
    headroom: HeadroomOut
    amount: str | None
    fits: bool | None


# --- control -------------------------------------------------------------------------------------------


class PauseIn(_In):
    reason: ReasonText = Field(description="Why payments are paused; kept in the audit log")


class ResumeIn(_In):
    reason: ReasonText | None = None


class PauseOut(_Out):
    paused: bool
    since: str | None
    by: str | None
    reason: str | None
    changed: bool


class StatusOut(_Out):
    pause: PauseOut
    held: int
    awaiting_signatures: int
    submitted_unconfirmed: int
    unknown: int


# --- federation ----------------------------------------------------------------------------------------


class FederationOut(_Out):
    stellar_address: str
    account_id: str
    memo_type: MemoType | None = None
    memo: str | None = None
