"""What each supported operation does to the accounts, with stellar-core's result codes.

Every function reads through an AccountOverlay and returns the operation's inner result code (0 is
success). Checks follow stellar-core's order where it matters to the code a client sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from paycrypt.sandbox.accounts import (
    AUTH_IMMUTABLE,
    KNOWN_FLAGS,
    MAX_SIGNERS,
    Account,
    CreditAsset,
    Trustline,
)
from paycrypt.sandbox.amounts import INT64_MAX
from paycrypt.sandbox.operations_model import (
    AccountMerge,
    ChangeTrust,
    CreateAccount,
    ManageData,
    Operation,
    Payment,
    SetOptions,
)
from paycrypt.sandbox.overlay import AccountOverlay

SUCCESS: Final = 0
MAX_DATA_NAME: Final = 64


@dataclass(frozen=True, slots=True)
class ApplyContext:
    accounts: AccountOverlay
    ledger_sequence: int
    base_reserve: int


def is_valid_asset(asset: CreditAsset) -> bool:
    code = asset.code
    if not code or not code.isascii() or not code.isalnum() or len(code) > 12:
        return False
    return bool(asset.issuer)


def create_account(op: CreateAccount, source: Account, ctx: ApplyContext) -> tuple[int, int]:
    if op.starting_balance < 0 or op.destination == source.account_id:
        return -1, 0  # malformed
    if ctx.accounts.peek(op.destination) is not None:
        return -4, 0  # already exists
    if op.starting_balance < 2 * ctx.base_reserve:
        return -3, 0  # low reserve
    if source.available_balance(ctx.base_reserve) < op.starting_balance:
        return -2, 0  # underfunded
    source.balance -= op.starting_balance
    ctx.accounts.create(
        Account(
            account_id=op.destination,
            balance=op.starting_balance,
            sequence=ctx.ledger_sequence << 32,
            last_modified_ledger=ctx.ledger_sequence,
        )
    )
    return SUCCESS, 0


def payment(op: Payment, source: Account, ctx: ApplyContext) -> tuple[int, int]:
    if op.amount <= 0 or (op.asset is not None and not is_valid_asset(op.asset)):
        return -1, 0  # malformed
    if op.destination == source.account_id and op.asset is None:
        return SUCCESS, 0  # lumens to oneself: nothing moves, as in stellar-core
    destination = ctx.accounts.load(op.destination)
    if destination is None:
        return -5, 0  # no destination
    if op.asset is None:
        if destination.balance > INT64_MAX - op.amount:
            return -8, 0  # line full
        if destination is not source and source.available_balance(ctx.base_reserve) < op.amount:
            return -2, 0  # underfunded
        destination.balance += op.amount
        source.balance -= op.amount
        return SUCCESS, 0
    return _credit_payment(op, op.asset, source, destination), 0


def _credit_payment(op: Payment, asset: CreditAsset, source: Account, destination: Account) -> int:
    # The destination is credited first, then the source debited: the codes a client sees follow that order.
    incoming: Trustline | None = None
    if destination.account_id != asset.issuer:
        incoming = destination.trustlines.get(asset)
        if incoming is None:
            return -6  # no trust
        if incoming.balance > incoming.limit - op.amount:
            return -8  # line full
    outgoing: Trustline | None = None
    if source.account_id != asset.issuer:
        outgoing = source.trustlines.get(asset)
        if outgoing is None:
            return -3  # source has no trustline
        if outgoing.balance < op.amount:
            return -2  # underfunded
    if incoming is not None:
        incoming.balance += op.amount
    if outgoing is not None:
        outgoing.balance -= op.amount
    return SUCCESS


def change_trust(op: ChangeTrust, source: Account, ctx: ApplyContext) -> tuple[int, int]:
    asset = op.asset
    if asset is None or not is_valid_asset(asset) or op.limit < 0:
        return -1, 0  # malformed (the native asset needs no trustline)
    if asset.issuer == source.account_id:
        return -5, 0  # self not allowed
    line = source.trustlines.get(asset)
    if op.limit == 0:
        if line is None:
            return -6, 0  # no trustline to remove
        if line.balance > 0:
            return -3, 0  # invalid limit: the balance must be emptied first
        del source.trustlines[asset]
        return SUCCESS, 0
    if line is not None:
        if op.limit < line.balance:
            return -3, 0  # invalid limit
        line.limit = op.limit
        return SUCCESS, 0
    if ctx.accounts.peek(asset.issuer) is None:
        return -2, 0  # no issuer
    if source.balance < source.minimum_balance(ctx.base_reserve, extra_subentries=1):
        return -4, 0  # low reserve
    source.trustlines[asset] = Trustline(limit=op.limit, last_modified_ledger=ctx.ledger_sequence)
    return SUCCESS, 0


def set_options(op: SetOptions, source: Account, ctx: ApplyContext) -> tuple[int, int]:
    for value in (op.master_weight, op.low_threshold, op.med_threshold, op.high_threshold):
        if value is not None and value > 255:
            return -7, 0  # threshold out of range
    if op.set_flags is not None and op.clear_flags is not None and op.set_flags & op.clear_flags:
        return -3, 0  # bad flags
    if (op.set_flags or 0) & ~KNOWN_FLAGS or (op.clear_flags or 0) & ~KNOWN_FLAGS:
        return -6, 0  # unknown flag
    if op.signer_weight is not None and (
        not op.signer_is_ed25519 or op.signer_key == source.account_id or op.signer_weight > 255
    ):
        return -8, 0  # bad signer (the sandbox keeps ed25519 signers only)
    if op.home_domain is not None and not op.home_domain.isprintable():
        return -9, 0  # invalid home domain
    if op.inflation_destination is not None and ctx.accounts.peek(op.inflation_destination) is None:
        return -4, 0  # invalid inflation destination
    if source.flags & AUTH_IMMUTABLE and (op.set_flags or op.clear_flags):
        return -5, 0  # can't change flags of an immutable account
    if op.signer_key is not None and op.signer_weight is not None:
        code = _change_signer(source, op.signer_key, op.signer_weight, ctx.base_reserve)
        if code != SUCCESS:
            return code, 0
    if op.master_weight is not None:
        source.master_weight = op.master_weight
    if op.low_threshold is not None:
        source.low_threshold = op.low_threshold
    if op.med_threshold is not None:
        source.med_threshold = op.med_threshold
    if op.high_threshold is not None:
        source.high_threshold = op.high_threshold
    if op.home_domain is not None:
        source.home_domain = op.home_domain
    if op.inflation_destination is not None:
        source.inflation_destination = op.inflation_destination
    source.flags = (source.flags | (op.set_flags or 0)) & ~(op.clear_flags or 0)
    return SUCCESS, 0


def _change_signer(source: Account, key: str, weight: int, base_reserve: int) -> int:
    if weight == 0:
        source.signers.pop(key, None)
        return SUCCESS
    if key not in source.signers:
        if len(source.signers) >= MAX_SIGNERS:
            return -2  # too many signers
        if source.balance < source.minimum_balance(base_reserve, extra_subentries=1):
            return -1  # low reserve
    source.signers[key] = weight
    return SUCCESS


def manage_data(op: ManageData, source: Account, ctx: ApplyContext) -> tuple[int, int]:
    if not op.name or len(op.name.encode("utf-8")) > MAX_DATA_NAME or not op.name.isprintable():
        return -4, 0  # invalid name
    if op.value is None:
        if op.name not in source.data:
            return -2, 0  # name not found
        del source.data[op.name]
        return SUCCESS, 0
    if op.name not in source.data and source.balance < source.minimum_balance(ctx.base_reserve, 1):
        return -3, 0  # low reserve
    source.data[op.name] = op.value
    return SUCCESS, 0


def account_merge(op: AccountMerge, source: Account, ctx: ApplyContext) -> tuple[int, int]:
    if op.destination == source.account_id:
        return -1, 0  # malformed
    destination = ctx.accounts.load(op.destination)
    if destination is None:
        return -2, 0  # no account
    if source.flags & AUTH_IMMUTABLE:
        return -3, 0  # immutable set
    if source.subentry_count > 0:
        return -4, 0  # has sub-entries
    if source.sequence >= ctx.ledger_sequence << 32:
        return -5, 0  # seq num too far: a re-created account could replay old sequence numbers
    if destination.balance > INT64_MAX - source.balance:
        return -6, 0  # destination full
    merged = source.balance
    destination.balance += merged
    source.balance = 0
    ctx.accounts.delete(source.account_id)
    return SUCCESS, merged


def apply_operation(op: Operation, source: Account, ctx: ApplyContext) -> tuple[int, int]:
    """(inner code, merged balance) of one operation whose source account exists and signed enough."""
    if isinstance(op, Payment):
        return payment(op, source, ctx)
    if isinstance(op, CreateAccount):
        return create_account(op, source, ctx)
    if isinstance(op, SetOptions):
        return set_options(op, source, ctx)
    if isinstance(op, ChangeTrust):
        return change_trust(op, source, ctx)
    if isinstance(op, ManageData):
        return manage_data(op, source, ctx)
    if isinstance(op, AccountMerge):
        return account_merge(op, source, ctx)
    raise TypeError(f"unsupported operation {op!r}")
