"""What a payment would cost and whether it fits, without sending anything: fee, spendable, headroom."""

from __future__ import annotations

from dataclasses import dataclass

from paycrypt.core.errors import NotFoundError
from paycrypt.core.horizon import AccountNotFound
from paycrypt.core.limits import Headroom, headroom
from paycrypt.core.payments.balances import spendable
from paycrypt.core.payments.engine import PaymentEngine
from paycrypt.core.payments.fees import FeeQuote, quote_fee
from paycrypt.core.tags import get_tag
from paycrypt.core.values import Amount, Asset


@dataclass(frozen=True)
class PaymentQuote:
    source_tag: str
    asset: Asset
    fee: FeeQuote
    spendable_stroops: int  # after the reserve, liabilities and this fee
    headroom: Headroom  # what is left of today's limits (UTC day)
    amount_stroops: int | None = None

    @property
    def fits(self) -> bool | None:
        """With an amount: True when funds, the per-payment limits and today's headroom all allow it."""
        if self.amount_stroops is None:
            return None
        return (
            self.amount_stroops
            <= min(self.spendable_stroops, self.headroom.tag_stroops, self.headroom.global_stroops)
            and self.headroom.tag_count > 0
        )


def quote_payment(
    engine: PaymentEngine, source: str, *, asset: str = "native", amount: str | None = None
) -> PaymentQuote:
    """Reads the ledger first, then today's usage in a short read-only unit of work."""
    parsed_asset = Asset.parse(asset)
    parsed_amount = Amount.parse(amount) if amount is not None else None
    if parsed_amount is not None:
        engine.policy.limits.check_amount(parsed_amount.stroops)
    record = get_tag(source, uow=engine.uow_factory())
    try:
        account = engine.horizon.load_account(record.account.account_id)
    except AccountNotFound:
        raise NotFoundError(
            f"the source account {record.account.account_id} is not on the ledger yet (fund it first)",
            code="source_account_missing",
        ) from None
    fee = quote_fee(engine.fee_stats(), operations=1, max_per_operation=engine.policy.max_fee_per_operation)
    available = spendable(
        account, parsed_asset, base_reserve=engine.latest_ledger().base_reserve, fee=fee.total
    )
    with engine.uow_factory() as uow:
        left = headroom(uow, engine.policy.limits, record.tag.value, engine.clock().date())
    return PaymentQuote(
        source_tag=record.tag.value,
        asset=parsed_asset,
        fee=fee,
        spendable_stroops=available,
        headroom=left,
        amount_stroops=parsed_amount.stroops if parsed_amount is not None else None,
    )
