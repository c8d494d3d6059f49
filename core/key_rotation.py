"""Master key rotation: every stored signing key re-sealed with the current PAYCRYPT_MASTER_KEY.

The operator sets the new key as PAYCRYPT_MASTER_KEY and the old one as PAYCRYPT_MASTER_KEY_PREVIOUS, runs
``paycrypt keys reseal``, then drops the old key. All keys are re-sealed in one unit of work, or none: a
key that no configured master key opens stops the rotation before anything changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from paycrypt.core.errors import PayCryptError
from paycrypt.core.storage.unit_of_work import UnitOfWork
from paycrypt.core.vault import KeyVault, VaultError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResealReport:
    resealed: int
    already_current: int
    master_key_id: str


class RotationBlocked(PayCryptError):
    code = "master_key_mismatch"


def reseal_signing_keys(*, uow: UnitOfWork, vault: KeyVault, actor: str) -> ResealReport:
    with uow:
        stored = uow.signing_keys.all()
        stale = [sealed for sealed in stored if sealed.master_key_id != vault.key_id]
        unreadable = []
        for sealed in stale:
            try:
                vault.unseal(sealed)
            except VaultError:
                unreadable.append(sealed.account_id)
        if unreadable:
            raise RotationBlocked(
                f"{len(unreadable)} stored key(s) open with no configured master key "
                f"({', '.join(unreadable[:5])}{', ...' if len(unreadable) > 5 else ''}); "
                "set the key that sealed them in PAYCRYPT_MASTER_KEY_PREVIOUS. Nothing was changed."
            )
        for sealed in stale:
            uow.signing_keys.replace(vault.seal(vault.unseal(sealed)))
        uow.audit.record(
            actor=actor,
            action="keys.resealed",
            details={"resealed": len(stale), "master_key_id": vault.key_id},
        )
        uow.commit()
    log.info("re-sealed %d signing keys with master key %s", len(stale), vault.key_id)
    return ResealReport(
        resealed=len(stale), already_current=len(stored) - len(stale), master_key_id=vault.key_id
    )
