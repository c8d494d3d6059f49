"""Custodial accounts: PayCrypt creates or imports the signing key, seals it in the vault, and tags it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from stellar_sdk import Keypair, StrKey

from paycrypt.core.errors import ConflictError, ValidationError
from paycrypt.core.horizon import FundingResult, HorizonError, HorizonPort
from paycrypt.core.records import TagRecord
from paycrypt.core.secrets import Secret
from paycrypt.core.storage.types import utcnow
from paycrypt.core.storage.unit_of_work import UnitOfWork
from paycrypt.core.tags import get_tag
from paycrypt.core.values import AccountAddress, Memo, Tag
from paycrypt.core.vault import KeyVault

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CreatedAccount:
    record: TagRecord
    funding: FundingResult | None = None


def create_custodial_account(
    tag: str,
    *,
    fund: bool = False,
    uow: UnitOfWork,
    vault: KeyVault,
    horizon: HorizonPort | None = None,
    actor: str = "system",
) -> CreatedAccount:
    """A new keypair, sealed in the vault and named by ``tag``; funded through friendbot when asked.

    The key is stored and committed before funding: an account funded on the network but whose key was
    lost to a failed write would be money nobody can move.
    """
    name = Tag.parse(tag)
    if fund and horizon is None:
        raise ValidationError("funding needs a Horizon to ask", code="funding_unavailable", field="fund")
    keypair = Keypair.random()
    record = _store(name, keypair, uow=uow, vault=vault, actor=actor, action="account.created")
    if not fund:
        return CreatedAccount(record)
    assert horizon is not None
    # Friendbot is a slow network call: it runs after the unit of work has committed and closed.
    try:
        funding = horizon.fund_with_friendbot(keypair.public_key)
    except HorizonError as err:
        raise HorizonError(
            f"created tag '{name}' for {keypair.public_key}, but funding failed: {err.message}",
            code=err.code,
            status=err.status,
            retriable=err.retriable,
        ) from err
    return CreatedAccount(record, funding)


def import_account(
    tag: str,
    secret: Secret,
    *,
    uow: UnitOfWork,
    vault: KeyVault,
    actor: str = "system",
) -> TagRecord:
    """Seals an existing account's secret seed in the vault and names the account by ``tag``."""
    name = Tag.parse(tag)
    seed = secret.reveal().strip()
    # A yes/no check: the sdk's own error would repeat the rejected value, which may be a real seed.
    if not StrKey.is_valid_ed25519_secret_seed(seed):
        raise ValidationError(
            "not a valid Stellar secret seed (S... with 56 characters and a correct checksum)",
            code="secret_invalid",
            field="secret",
        )
    keypair = Keypair.from_secret(seed)
    return _store(name, keypair, uow=uow, vault=vault, actor=actor, action="account.imported")


def fund_account(tag: str, *, uow: UnitOfWork, horizon: HorizonPort) -> FundingResult:
    """Funds the tag's account through friendbot (sandbox and testnet); e.g. after a failed first try."""
    record = get_tag(tag, uow=uow)
    return horizon.fund_with_friendbot(record.account.account_id)


def _store(
    name: Tag, keypair: Keypair, *, uow: UnitOfWork, vault: KeyVault, actor: str, action: str
) -> TagRecord:
    with uow:
        if uow.tags.get(name) is not None:
            raise ConflictError(f"tag '{name}' already exists", code="tag_exists")
        if not uow.signing_keys.holds(keypair.public_key):
            vault.store(uow.signing_keys, keypair)
        now = utcnow()
        record = TagRecord(
            tag=name,
            account=AccountAddress.parse(keypair.public_key, field="account"),
            memo=Memo.none(),
            custodial=True,
            created_at=now,
            updated_at=now,
        )
        uow.tags.add(record)
        # Tags added earlier for this account (e.g. watch-only) become custodial with the key.
        for other in uow.tags.for_account(keypair.public_key):
            if not other.custodial:
                uow.tags.set_custodial(other.tag, True)
        uow.audit.record(
            actor=actor, action=action, details={"tag": name.value, "account": keypair.public_key}
        )
        uow.commit()
    log.debug("%s: tag %s for %s", action, name, keypair.public_key)
    return record
