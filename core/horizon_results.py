"""Horizon-style result codes ("tx_failed", "op_underfunded") decoded from a TransactionResult XDR.

Horizon names the codes only in error answers; a transaction looked up by hash carries just its
``result_xdr``, so the engine reads the codes from there to store why a payment failed.
"""

from __future__ import annotations

from typing import Any

from stellar_sdk.xdr import OperationResultCode, TransactionResultCode
from stellar_sdk.xdr import TransactionResult as TransactionResultXdr


def result_codes_from_xdr(result_xdr: str | None) -> dict[str, Any]:
    """Horizon-style result codes decoded from a TransactionResult XDR (for stored, failed transactions)."""
    if not result_xdr:
        return {}
    try:
        result = TransactionResultXdr.from_xdr(result_xdr)
    except Exception:
        return {}
    code = result.result.code
    names = {
        TransactionResultCode.txSUCCESS: "tx_success",
        TransactionResultCode.txFAILED: "tx_failed",
    }
    codes: dict[str, Any] = {"transaction": names.get(code, _snake(code.name))}
    operations = getattr(result.result, "results", None) or []
    if code in (TransactionResultCode.txSUCCESS, TransactionResultCode.txFAILED):
        codes["operations"] = [_operation_code(op) for op in operations]
    return codes


def _operation_code(op: Any) -> str:
    if op.code != OperationResultCode.opINNER or op.tr is None:
        return _snake(op.code.name)
    for name in (
        "create_account_result",
        "payment_result",
        "change_trust_result",
        "set_options_result",
        "manage_data_result",
        "account_merge_result",
    ):
        inner = getattr(op.tr, name, None)
        if inner is not None:
            return _snake_op(inner.code.name)
    return "op_inner"


def _snake(name: str) -> str:
    """txBAD_SEQ -> tx_bad_seq, opNO_ACCOUNT -> op_no_account."""
    prefix = "tx" if name.startswith("tx") else "op"
    return f"{prefix}_{name[len(prefix) :].lower()}"


def _snake_op(name: str) -> str:
    """PAYMENT_UNDERFUNDED -> op_underfunded (the operation's own prefix dropped, as Horizon does)."""
    for prefix in (
        "CREATE_ACCOUNT_",
        "PAYMENT_",
        "CHANGE_TRUST_",
        "SET_OPTIONS_",
        "MANAGE_DATA_",
        "ACCOUNT_MERGE_",
    ):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    return "op_" + name.lower()
