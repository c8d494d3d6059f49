"""Result codes with Horizon's names, and the TransactionResult XDR that Horizon returns as result_xdr.

The XDR is packed by hand (a dozen integers) because it is built for every transaction of every ledger;
`stellar_sdk.xdr.TransactionResult.from_xdr` reads it back (tests/sandbox/test_sandbox_results.py).
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Final


class TxCode(IntEnum):
    SUCCESS = 0
    FAILED = -1
    TOO_EARLY = -2
    TOO_LATE = -3
    MISSING_OPERATION = -4
    BAD_SEQ = -5
    BAD_AUTH = -6
    INSUFFICIENT_BALANCE = -7
    NO_ACCOUNT = -8
    INSUFFICIENT_FEE = -9
    BAD_AUTH_EXTRA = -10
    INTERNAL_ERROR = -11
    NOT_SUPPORTED = -12
    MALFORMED = -16


TX_CODE_NAMES: Final = {
    TxCode.SUCCESS: "tx_success",
    TxCode.FAILED: "tx_failed",
    TxCode.TOO_EARLY: "tx_too_early",
    TxCode.TOO_LATE: "tx_too_late",
    TxCode.MISSING_OPERATION: "tx_missing_operation",
    TxCode.BAD_SEQ: "tx_bad_seq",
    TxCode.BAD_AUTH: "tx_bad_auth",
    TxCode.INSUFFICIENT_BALANCE: "tx_insufficient_balance",
    TxCode.NO_ACCOUNT: "tx_no_source_account",
    TxCode.INSUFFICIENT_FEE: "tx_insufficient_fee",
    TxCode.BAD_AUTH_EXTRA: "tx_bad_auth_extra",
    TxCode.INTERNAL_ERROR: "tx_internal_error",
    TxCode.NOT_SUPPORTED: "tx_not_supported",
    TxCode.MALFORMED: "tx_malformed",
}


class OpType(IntEnum):
    CREATE_ACCOUNT = 0
    PAYMENT = 1
    SET_OPTIONS = 5
    CHANGE_TRUST = 6
    ACCOUNT_MERGE = 8
    MANAGE_DATA = 10


class OpOutcome(IntEnum):
    """OperationResultCode: INNER carries the operation's own code; the others stand alone."""

    INNER = 0
    BAD_AUTH = -1
    NO_ACCOUNT = -2
    NOT_SUPPORTED = -3


_OUTCOME_NAMES: Final = {
    OpOutcome.BAD_AUTH: "op_bad_auth",
    OpOutcome.NO_ACCOUNT: "op_no_source_account",
    OpOutcome.NOT_SUPPORTED: "op_not_supported",
}

# Inner codes per operation type, named as Horizon names them (stellar/go services/horizon codes).
_INNER_NAMES: Final[dict[OpType, dict[int, str]]] = {
    OpType.CREATE_ACCOUNT: {
        -1: "op_malformed",
        -2: "op_underfunded",
        -3: "op_low_reserve",
        -4: "op_already_exists",
    },
    OpType.PAYMENT: {
        -1: "op_malformed",
        -2: "op_underfunded",
        -3: "op_src_no_trust",
        -4: "op_src_not_authorized",
        -5: "op_no_destination",
        -6: "op_no_trust",
        -7: "op_not_authorized",
        -8: "op_line_full",
        -9: "op_no_issuer",
    },
    OpType.SET_OPTIONS: {
        -1: "op_low_reserve",
        -2: "op_too_many_signers",
        -3: "op_bad_flags",
        -4: "op_invalid_inflation",
        -5: "op_cant_change",
        -6: "op_unknown_flag",
        -7: "op_threshold_out_of_range",
        -8: "op_bad_signer",
        -9: "op_invalid_home_domain",
    },
    OpType.CHANGE_TRUST: {
        -1: "op_malformed",
        -2: "op_no_issuer",
        -3: "op_invalid_limit",
        -4: "op_low_reserve",
        -5: "op_self_not_allowed",
        -6: "op_trust_line_missing",
    },
    OpType.ACCOUNT_MERGE: {
        -1: "op_malformed",
        -2: "op_no_account",
        -3: "op_immutable_set",
        -4: "op_has_sub_entries",
        -5: "op_seq_num_too_far",
        -6: "op_dest_full",
    },
    OpType.MANAGE_DATA: {-2: "op_data_name_not_found", -3: "op_low_reserve", -4: "op_data_invalid_name"},
}


@dataclass(frozen=True, slots=True)
class OpResult:
    """One operation's result: an inner code of its type, or an outer code (bad auth, no account...)."""

    op_type: int
    code: int = 0
    outcome: OpOutcome = OpOutcome.INNER
    merged_balance: int = 0  # account_merge success carries the merged account's balance

    @property
    def succeeded(self) -> bool:
        return self.outcome is OpOutcome.INNER and self.code == 0

    @property
    def name(self) -> str:
        if self.outcome is not OpOutcome.INNER:
            return _OUTCOME_NAMES[self.outcome]
        if self.code == 0:
            return "op_success"
        return _INNER_NAMES[OpType(self.op_type)][self.code]

    def pack(self) -> bytes:
        if self.outcome is not OpOutcome.INNER:
            return struct.pack(">i", self.outcome)
        if self.op_type == OpType.ACCOUNT_MERGE and self.code == 0:
            return struct.pack(">iiiq", 0, self.op_type, 0, self.merged_balance)
        return struct.pack(">iii", 0, self.op_type, self.code)


@dataclass(frozen=True, slots=True)
class TransactionOutcome:
    """What happened to a transaction: its code, the fee it paid and each operation's result."""

    code: TxCode
    fee_charged: int = 0
    op_results: tuple[OpResult, ...] = ()

    @property
    def successful(self) -> bool:
        return self.code is TxCode.SUCCESS

    @property
    def code_name(self) -> str:
        return TX_CODE_NAMES[self.code]

    def result_codes(self) -> dict[str, object]:
        """Horizon's `extras.result_codes`: operations are listed only for tx_failed (and tx_success)."""
        codes: dict[str, object] = {"transaction": self.code_name}
        if self.code in (TxCode.FAILED, TxCode.SUCCESS) and self.op_results:
            codes["operations"] = [result.name for result in self.op_results]
        return codes

    def result_xdr(self) -> str:
        parts = [struct.pack(">qi", self.fee_charged, self.code)]
        if self.code in (TxCode.SUCCESS, TxCode.FAILED):
            parts.append(struct.pack(">I", len(self.op_results)))
            parts.extend(result.pack() for result in self.op_results)
        parts.append(b"\x00\x00\x00\x00")  # ext: v0
        return base64.b64encode(b"".join(parts)).decode("ascii")


def refused(code: TxCode, op_results: tuple[OpResult, ...] = ()) -> TransactionOutcome:
    """A transaction turned away before it reached a ledger: no fee is charged."""
    return TransactionOutcome(code=code, fee_charged=0, op_results=op_results)
