"""Value objects for payment input: each is checked when built and raises ValidationError with a stable code.

Framework-free: the CLI, the API and the engine all build these from raw strings before doing anything else.
"""

from paycrypt.core.values.addresses import AccountAddress, FederationAddress, Tag
from paycrypt.core.values.amount import MAX_STROOPS, STROOPS_PER_UNIT, Amount, format_stroops, parse_stroops
from paycrypt.core.values.asset import Asset
from paycrypt.core.values.memo import Memo, MemoType

__all__ = [
    "MAX_STROOPS",
    "STROOPS_PER_UNIT",
    "AccountAddress",
    "Amount",
    "Asset",
    "FederationAddress",
    "Memo",
    "MemoType",
    "Tag",
    "format_stroops",
    "parse_stroops",
]
