"""Master key rotation: every stored key re-sealed with the new master key, all or none, and audited."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from stellar_sdk import Keypair

from paycrypt.core.errors import ConfigError
from paycrypt.core.key_rotation import RotationBlocked, reseal_signing_keys
from paycrypt.core.secrets import Secret
from paycrypt.core.settings import load_settings
from paycrypt.core.storage.tables import signing_keys
from paycrypt.core.vault import KeyVault, master_key_id


def _new_key() -> Secret:
    return Secret(Fernet.generate_key().decode("ascii"))


def _store(uow_factory, vault: KeyVault, keypair: Keypair) -> None:
    with uow_factory() as uow:
        vault.store(uow.signing_keys, keypair)
        uow.commit()


def _key_ids(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(signing_keys.c.master_key_id)).scalars())


def test_reseal_moves_every_key_to_the_new_master_key_and_is_audited(uow_factory, engine):
    old, new = _new_key(), _new_key()
    keypairs = [Keypair.random() for _ in range(3)]
    for keypair in keypairs[:2]:
        _store(uow_factory, KeyVault(old), keypair)
    _store(uow_factory, KeyVault(new), keypairs[2])  # already under the new key

    report = reseal_signing_keys(uow=uow_factory(), vault=KeyVault(new, [old]), actor="cli:ops")

    assert (report.resealed, report.already_current) == (2, 1)
    assert _key_ids(engine) == {master_key_id(new)}
    with uow_factory() as uow:
        for keypair in keypairs:  # the new key alone now opens every stored key
            assert KeyVault(new).signer_for(uow.signing_keys, keypair.public_key).public_key == (
                keypair.public_key
            )
        [entry] = [e for e in uow.audit.recent() if e.action == "keys.resealed"]
    assert entry.actor == "cli:ops" and entry.details == {"resealed": 2, "master_key_id": master_key_id(new)}
    again = reseal_signing_keys(uow=uow_factory(), vault=KeyVault(new, [old]), actor="cli:ops")
    assert (again.resealed, again.already_current) == (0, 3)


def test_a_key_no_configured_master_key_opens_stops_the_rotation_before_any_change(uow_factory, engine):
    old, lost, new = _new_key(), _new_key(), _new_key()
    _store(uow_factory, KeyVault(old), Keypair.random())
    orphan = Keypair.random()
    _store(uow_factory, KeyVault(lost), orphan)

    with pytest.raises(RotationBlocked) as caught:
        reseal_signing_keys(uow=uow_factory(), vault=KeyVault(new, [old]), actor="cli:ops")

    assert caught.value.code == "master_key_mismatch" and orphan.public_key in caught.value.message
    assert _key_ids(engine) == {master_key_id(old), master_key_id(lost)}  # nothing re-sealed
    with uow_factory() as uow:
        assert not [e for e in uow.audit.recent() if e.action == "keys.resealed"]


def test_previous_master_keys_are_validated_and_masked(tmp_path):
    current, previous = _new_key().reveal(), _new_key().reveal()
    settings = load_settings(
        {"PAYCRYPT_MASTER_KEY": current, "PAYCRYPT_MASTER_KEY_PREVIOUS": f" {previous} ,"},
        env_file=tmp_path / "none.env",
    )
    assert [key.reveal() for key in settings.previous_master_keys] == [previous]
    assert previous in settings.known_secret_values()
    with pytest.raises(ConfigError) as caught:
        load_settings(
            {"PAYCRYPT_MASTER_KEY": current, "PAYCRYPT_MASTER_KEY_PREVIOUS": "not-a-key"},
            env_file=tmp_path / "none.env",
        )
    assert "PAYCRYPT_MASTER_KEY_PREVIOUS" in str(caught.value) and "not-a-key" not in str(caught.value)


def test_paycrypt_keys_reseal_rotates_what_accounts_create_sealed(paycrypt, engine):
    old, new = _new_key().reveal(), _new_key().reveal()
    created = paycrypt("accounts", "create", "treasury", extra_env={"PAYCRYPT_MASTER_KEY": old})
    assert created.returncode == 0, created.stderr

    rotate = {"PAYCRYPT_MASTER_KEY": new, "PAYCRYPT_MASTER_KEY_PREVIOUS": old}
    result = paycrypt("keys", "reseal", extra_env=rotate)
    assert result.returncode == 0, result.stderr
    assert "re-sealed 1 signing key(s)" in result.stdout
    assert old not in result.stdout + result.stderr and new not in result.stdout + result.stderr
    assert _key_ids(engine) == {master_key_id(Secret(new))}

    without_old = paycrypt("keys", "reseal", extra_env={"PAYCRYPT_MASTER_KEY": new})
    assert without_old.returncode == 0 and "re-sealed 0 signing key(s)" in without_old.stdout
    wrong = paycrypt("keys", "reseal", extra_env={"PAYCRYPT_MASTER_KEY": old})
    assert wrong.returncode == 1 and "error [master_key_mismatch]" in wrong.stderr
