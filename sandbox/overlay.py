"""Copy-on-write view of the accounts, so that a failed transaction leaves the ledger untouched."""

from __future__ import annotations

from paycrypt.sandbox.accounts import Account


class AccountOverlay:
    def __init__(self, accounts: dict[str, Account]) -> None:
        self._base = accounts
        self._changed: dict[str, Account | None] = {}  # None: deleted

    def peek(self, account_id: str) -> Account | None:
        """The account as this transaction sees it, for reading only."""
        if account_id in self._changed:
            return self._changed[account_id]
        return self._base.get(account_id)

    def load(self, account_id: str) -> Account | None:
        """The account for changing: a private copy, written to the ledger only on commit()."""
        if account_id in self._changed:
            return self._changed[account_id]
        account = self._base.get(account_id)
        if account is None:
            return None
        copy = account.clone()
        self._changed[account_id] = copy
        return copy

    def create(self, account: Account) -> None:
        self._changed[account.account_id] = account

    def delete(self, account_id: str) -> None:
        self._changed[account_id] = None

    def commit(self, ledger_sequence: int) -> None:
        for account_id, account in self._changed.items():
            if account is None:
                self._base.pop(account_id, None)
            else:
                account.last_modified_ledger = ledger_sequence
                self._base[account_id] = account
        self._changed.clear()
