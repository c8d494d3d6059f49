"""Sealed signing seeds in the signing_keys table. Only ciphertext passes through here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from paycrypt.core.errors import ConflictError
from paycrypt.core.records import SealedSeed
from paycrypt.core.storage.tables import signing_keys


class SigningKeyRepository:
    def __init__(self, connection: Connection):
        self._conn = connection

    def add(self, sealed: SealedSeed, *, created_at: datetime) -> None:
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    insert(signing_keys).values(
                        account_id=sealed.account_id,
                        sealed_seed=sealed.token,
                        master_key_id=sealed.master_key_id,
                        created_at=created_at,
                    )
                )
        except IntegrityError as err:
            raise ConflictError(
                f"a signing key for {sealed.account_id} is already stored", code="signing_key_exists"
            ) from err

    def get(self, account_id: str) -> SealedSeed | None:
        row = self._conn.execute(
            select(signing_keys.c.account_id, signing_keys.c.sealed_seed, signing_keys.c.master_key_id).where(
                signing_keys.c.account_id == account_id
            )
        ).first()
        if row is None:
            return None
        return SealedSeed(account_id=row.account_id, token=row.sealed_seed, master_key_id=row.master_key_id)

    def get_many(self, account_ids: list[str]) -> list[SealedSeed]:
        """The sealed seeds held for any of ``account_ids``, in one statement."""
        if not account_ids:
            return []
        rows = self._conn.execute(
            select(signing_keys.c.account_id, signing_keys.c.sealed_seed, signing_keys.c.master_key_id).where(
                signing_keys.c.account_id.in_(account_ids)
            )
        )
        return [
            SealedSeed(account_id=r.account_id, token=r.sealed_seed, master_key_id=r.master_key_id)
            for r in rows
        ]

    def all(self) -> list[SealedSeed]:
        rows = self._conn.execute(
            select(
                signing_keys.c.account_id, signing_keys.c.sealed_seed, signing_keys.c.master_key_id
            ).order_by(signing_keys.c.account_id)
        )
        return [
            SealedSeed(account_id=r.account_id, token=r.sealed_seed, master_key_id=r.master_key_id)
            for r in rows
        ]

    def holds(self, account_id: str) -> bool:
        query = select(signing_keys.c.id).where(signing_keys.c.account_id == account_id)
        return self._conn.execute(query).first() is not None

    def replace(self, sealed: SealedSeed) -> None:
        """Re-seals a stored key (master key rotation); the account must already be there."""
        self._conn.execute(
            update(signing_keys)
            .where(signing_keys.c.account_id == sealed.account_id)
            .values(sealed_seed=sealed.token, master_key_id=sealed.master_key_id)
        )
