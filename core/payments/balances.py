"""What an account can spend: its balance less the reserve it must keep, its liabilities and the fee."""

from __future__ import annotations

from paycrypt.core.horizon import AccountState
from paycrypt.core.values import Asset


def minimum_balance(account: AccountState, base_reserve: int) -> int:
    """(2 + subentries + sponsoring - sponsored) x base reserve, in stroops."""
    entries = 2 + account.subentry_count + account.num_sponsoring - account.num_sponsored
    return max(entries, 0) * base_reserve


def spendable(account: AccountState, asset: Asset, *, base_reserve: int, fee: int) -> int:
    """Stroops of ``asset`` the account can pay out now with ``fee`` charged in native on top."""
    native = account.balance_of(Asset.native())
    native_free = 0
    if native is not None:
        native_free = (
            native.stroops - minimum_balance(account, base_reserve) - native.selling_liabilities - fee
        )
    if asset.is_native:
        return max(native_free, 0)
    if native_free < 0:
        return 0  # cannot pay the fee
    line = account.balance_of(asset)
    if line is None:
        return 0
    return max(line.stroops - line.selling_liabilities, 0)
