"""Saves the ledger to a JSON file and loads it back, so a sandbox started with --state survives restarts.

The file is written beside its final name and renamed over it: a crash never leaves half a state.
Queued transactions are saved as envelopes and queued again on load (the usual intake checks apply).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any, Final

from paycrypt.sandbox.accounts import Account, CreditAsset, Trustline
from paycrypt.sandbox.envelopes import Memo
from paycrypt.sandbox.ledger import Ledger
from paycrypt.sandbox.records import LedgerRecord, PaymentRecord, TransactionRecord

FORMAT_VERSION: Final = 1


class StateFileError(Exception):
    """The state file cannot be used (unreadable, another network, another format)."""


def save_ledger(ledger: Ledger, path: Path) -> None:
    write_atomically(path, json.dumps(snapshot(ledger), separators=(",", ":")))


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def snapshot(ledger: Ledger) -> dict[str, Any]:
    """Everything needed to rebuild the ledger, as JSON-ready values (amounts stay integers)."""
    history = ledger.history
    return {
        "format": FORMAT_VERSION,
        "passphrase": ledger.passphrase,
        "max_tx_set_size": ledger.max_tx_set_size,
        "fee_pool": ledger.fee_pool,
        "accounts": [_account_out(account) for account in ledger.accounts.values()],
        "ledgers": [dataclasses.asdict(record) for record in history.ledgers],
        "transactions": [_transaction_out(tx) for tx in history.all_transactions],
        "payments": [_payment_out(payment) for payment in history.all_payments],
        "pending": [pending.tx.envelope_xdr for pending in ledger.pending.values()],
    }


def load_ledger(path: Path, passphrase: str, max_tx_set_size: int) -> Ledger:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StateFileError(f"cannot read the sandbox state {path}: {err}") from None
    if state.get("format") != FORMAT_VERSION:
        raise StateFileError(f"{path}: unknown state format {state.get('format')!r}")
    if state.get("passphrase") != passphrase:
        raise StateFileError(f"{path}: saved for another network ({state.get('passphrase')!r})")
    ledger = Ledger(passphrase, max_tx_set_size=max_tx_set_size, genesis=False)
    ledger.fee_pool = int(state["fee_pool"])
    for item in state["accounts"]:
        account = _account_in(item)
        ledger.accounts[account.account_id] = account
    transactions: dict[int, list[TransactionRecord]] = defaultdict(list)
    for item in state["transactions"]:
        tx = _transaction_in(item)
        transactions[tx.ledger].append(tx)
    payments: dict[int, list[PaymentRecord]] = defaultdict(list)
    for item in state["payments"]:
        payment = _payment_in(item)
        payments[payment.id >> 32].append(payment)
    for item in state["ledgers"]:
        record = LedgerRecord(**item)
        ledger.history.record(record, transactions[record.sequence], payments[record.sequence])
    for envelope in state["pending"]:
        ledger.submit(envelope)
    return ledger


def _account_out(account: Account) -> dict[str, Any]:
    out = dataclasses.asdict(account)
    out["data"] = {name: base64.b64encode(value).decode("ascii") for name, value in account.data.items()}
    out["trustlines"] = [
        {"code": asset.code, "issuer": asset.issuer, **dataclasses.asdict(line)}
        for asset, line in account.trustlines.items()
    ]
    return out


def _account_in(item: dict[str, Any]) -> Account:
    fields = dict(item)
    fields["data"] = {name: base64.b64decode(value) for name, value in item["data"].items()}
    fields["trustlines"] = {
        CreditAsset(line["code"], line["issuer"]): Trustline(
            line["limit"], line["balance"], line["last_modified_ledger"]
        )
        for line in item["trustlines"]
    }
    return Account(**fields)


def _transaction_out(tx: TransactionRecord) -> dict[str, Any]:
    out = dataclasses.asdict(tx)
    out["memo"] = {"type": tx.memo.type, "value": tx.memo.value}
    return out


def _transaction_in(item: dict[str, Any]) -> TransactionRecord:
    fields = dict(item)
    fields["memo"] = Memo(item["memo"]["type"], item["memo"]["value"])
    fields["signatures"] = tuple(item["signatures"])
    fields["participants"] = tuple(item["participants"])
    return TransactionRecord(**fields)


def _payment_out(payment: PaymentRecord) -> dict[str, Any]:
    out = dataclasses.asdict(payment)
    out["asset"] = None if payment.asset is None else [payment.asset.code, payment.asset.issuer]
    return out


def _payment_in(item: dict[str, Any]) -> PaymentRecord:
    fields = dict(item)
    fields["asset"] = None if item["asset"] is None else CreditAsset(*item["asset"])
    return PaymentRecord(**fields)
