"""Horizon's JSON shapes for the sandbox's records (amounts and big numbers as strings, as Horizon does)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any, Final

from paycrypt.sandbox.accounts import (
    AUTH_CLAWBACK_ENABLED,
    AUTH_IMMUTABLE,
    AUTH_REQUIRED,
    AUTH_REVOCABLE,
    Account,
    CreditAsset,
)
from paycrypt.sandbox.amounts import format_amount
from paycrypt.sandbox.records import LedgerRecord, PaymentRecord, TransactionRecord

ZERO: Final = "0.0000000"
# TransactionMeta v0 with no operations and an empty LedgerEntryChanges: decodable, deliberately empty,
# because the sandbox does not track per-entry changes.
EMPTY_RESULT_META_XDR: Final = "AAAAAAAAAAA="
EMPTY_FEE_META_XDR: Final = "AAAAAA=="


def timestamp(unix_seconds: int) -> str:
    return datetime.fromtimestamp(unix_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def account_view(account: Account, base_url: str) -> dict[str, Any]:
    href = f"{base_url}/accounts/{account.account_id}"
    balances: list[dict[str, Any]] = [
        {
            "balance": format_amount(line.balance),
            "limit": format_amount(line.limit),
            "buying_liabilities": ZERO,
            "selling_liabilities": ZERO,
            "last_modified_ledger": line.last_modified_ledger,
            "is_authorized": True,
            "is_authorized_to_maintain_liabilities": True,
            **_asset_fields(asset),
        }
        for asset, line in account.trustlines.items()
    ]
    balances.append(
        {
            "balance": format_amount(account.balance),
            "buying_liabilities": ZERO,
            "selling_liabilities": ZERO,
            "asset_type": "native",
        }
    )
    signers = [{"weight": w, "key": key, "type": "ed25519_public_key"} for key, w in account.signers.items()]
    if account.master_weight > 0:
        signers.append(
            {"weight": account.master_weight, "key": account.account_id, "type": "ed25519_public_key"}
        )
    view: dict[str, Any] = {
        "_links": {
            "self": {"href": href},
            "transactions": {"href": f"{href}/transactions{{?cursor,limit,order}}", "templated": True},
            "payments": {"href": f"{href}/payments{{?cursor,limit,order}}", "templated": True},
        },
        "id": account.account_id,
        "account_id": account.account_id,
        "sequence": str(account.sequence),
        "subentry_count": account.subentry_count,
        "last_modified_ledger": account.last_modified_ledger,
        "thresholds": {
            "low_threshold": account.low_threshold,
            "med_threshold": account.med_threshold,
            "high_threshold": account.high_threshold,
        },
        "flags": {
            "auth_required": bool(account.flags & AUTH_REQUIRED),
            "auth_revocable": bool(account.flags & AUTH_REVOCABLE),
            "auth_immutable": bool(account.flags & AUTH_IMMUTABLE),
            "auth_clawback_enabled": bool(account.flags & AUTH_CLAWBACK_ENABLED),
        },
        "balances": balances,
        "signers": signers,
        # Always present: stellar-sdk's memo-required check reads account["data"] before every submit.
        "data": {name: base64.b64encode(value).decode("ascii") for name, value in account.data.items()},
        "num_sponsoring": 0,
        "num_sponsored": 0,
        "paging_token": account.account_id,
    }
    if account.home_domain:
        view["home_domain"] = account.home_domain
    if account.inflation_destination:
        view["inflation_destination"] = account.inflation_destination
    return view


def transaction_view(tx: TransactionRecord, base_url: str) -> dict[str, Any]:
    href = f"{base_url}/transactions/{tx.hash}"
    view: dict[str, Any] = {
        "_links": {
            "self": {"href": href},
            "account": {"href": f"{base_url}/accounts/{tx.source_account}"},
            "ledger": {"href": f"{base_url}/ledgers/{tx.ledger}"},
        },
        "id": tx.hash,
        "paging_token": str(tx.paging_token),
        "successful": tx.successful,
        "hash": tx.hash,
        "ledger": tx.ledger,
        "created_at": timestamp(tx.closed_at),
        "source_account": tx.source_account,
        "source_account_sequence": str(tx.source_account_sequence),
        "fee_account": tx.source_account,
        "fee_charged": str(tx.fee_charged),
        "max_fee": str(tx.max_fee),
        "operation_count": tx.operation_count,
        "envelope_xdr": tx.envelope_xdr,
        "result_xdr": tx.result_xdr,
        "result_meta_xdr": EMPTY_RESULT_META_XDR,
        "fee_meta_xdr": EMPTY_FEE_META_XDR,
        "memo_type": tx.memo.type,
        "signatures": list(tx.signatures),
        "preconditions": {},
    }
    if tx.memo.value is not None:
        view["memo"] = tx.memo.value
    if tx.min_time or tx.max_time:
        view["preconditions"] = {"timebounds": {"min_time": str(tx.min_time), "max_time": str(tx.max_time)}}
        view["valid_after"] = timestamp(tx.min_time)
        if tx.max_time:
            view["valid_before"] = timestamp(tx.max_time)
    return view


def ledger_view(ledger: LedgerRecord, base_url: str) -> dict[str, Any]:
    return {
        "_links": {"self": {"href": f"{base_url}/ledgers/{ledger.sequence}"}},
        "id": ledger.hash,
        "paging_token": str(ledger.paging_token),
        "hash": ledger.hash,
        "prev_hash": ledger.prev_hash,
        "sequence": ledger.sequence,
        "successful_transaction_count": ledger.successful_transaction_count,
        "failed_transaction_count": ledger.failed_transaction_count,
        "operation_count": ledger.operation_count,
        "tx_set_operation_count": ledger.tx_set_operation_count,
        "closed_at": timestamp(ledger.closed_at),
        "total_coins": format_amount(ledger.total_coins),
        "fee_pool": format_amount(ledger.fee_pool),
        "base_fee_in_stroops": ledger.base_fee,
        "base_reserve_in_stroops": ledger.base_reserve,
        "max_tx_set_size": ledger.max_tx_set_size,
        "protocol_version": 21,
    }


def payment_view(payment: PaymentRecord, base_url: str) -> dict[str, Any]:
    view: dict[str, Any] = {
        "_links": {
            "self": {"href": f"{base_url}/operations/{payment.id}"},
            "transaction": {"href": f"{base_url}/transactions/{payment.transaction_hash}"},
        },
        "id": str(payment.id),
        "paging_token": str(payment.paging_token),
        "transaction_successful": True,
        "source_account": payment.source_account,
        "type": payment.kind,
        "type_i": payment.type_i,
        "created_at": timestamp(payment.closed_at),
        "transaction_hash": payment.transaction_hash,
    }
    if payment.kind == "create_account":
        view |= {"starting_balance": format_amount(payment.amount), "funder": payment.from_account}
        view["account"] = payment.to_account
    elif payment.kind == "account_merge":
        view |= {"account": payment.from_account, "into": payment.to_account}
    else:
        view |= _asset_fields(payment.asset)
        view |= {
            "from": payment.from_account,
            "to": payment.to_account,
            "amount": format_amount(payment.amount),
        }
    return view


def _asset_fields(asset: CreditAsset | None) -> dict[str, str]:
    if asset is None:
        return {"asset_type": "native"}
    return {"asset_type": asset.asset_type, "asset_code": asset.code, "asset_issuer": asset.issuer}
