import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update
from stellar_sdk import Account as SdkAccount
from stellar_sdk import Keypair, Network, TransactionBuilder

from paycrypt.core.errors import ConflictError, NotFoundError
from paycrypt.core.secrets import Secret
from paycrypt.core.storage.tables import signing_keys
from paycrypt.core.vault import KeyVault, VaultError, master_key_id


def _store(uow_factory, vault, keypair):
    with uow_factory() as uow:
        vault.store(uow.signing_keys, keypair)
        uow.commit()


def _other_vault():
    return KeyVault(Secret(Fernet.generate_key().decode()))


def test_a_stored_key_signs_for_its_account(uow_factory, vault):
    keypair = Keypair.random()
    _store(uow_factory, vault, keypair)
    with uow_factory() as uow:
        signer = vault.signer_for(uow.signing_keys, keypair.public_key)
    assert signer.public_key == keypair.public_key
    assert signer.verify(b"data", keypair.sign(b"data")) is None
    assert signer.sign(b"data") == keypair.sign(b"data")


def test_the_column_holds_no_plaintext_seed(uow_factory, vault, engine):
    keypair = Keypair.random()
    _store(uow_factory, vault, keypair)
    with engine.connect() as conn:
        row = conn.execute(select(signing_keys)).one()
    stored = " ".join(str(value) for value in row)
    assert keypair.secret not in stored
    assert keypair.raw_secret_key().hex() not in stored
    assert row.master_key_id == vault.key_id


def test_a_wrong_master_key_gives_master_key_mismatch_not_a_crash(uow_factory, vault):
    keypair = Keypair.random()
    _store(uow_factory, vault, keypair)
    with uow_factory() as uow, pytest.raises(VaultError) as caught:
        _other_vault().signer_for(uow.signing_keys, keypair.public_key)
    assert caught.value.code == "master_key_mismatch"
    assert keypair.secret not in caught.value.message


def test_a_row_that_lies_about_its_master_key_still_gives_master_key_mismatch(uow_factory, vault, engine):
    keypair = Keypair.random()
    _store(uow_factory, vault, keypair)
    other = _other_vault()
    with engine.begin() as conn:
        conn.execute(update(signing_keys).values(master_key_id=other.key_id))
    with uow_factory() as uow, pytest.raises(VaultError) as caught:
        other.signer_for(uow.signing_keys, keypair.public_key)
    assert caught.value.code == "master_key_mismatch"


def test_a_sealed_seed_copied_onto_another_account_refuses_to_sign(uow_factory, vault, engine):
    first, second = Keypair.random(), Keypair.random()
    _store(uow_factory, vault, first)
    _store(uow_factory, vault, second)
    with engine.begin() as conn:
        token = conn.execute(
            select(signing_keys.c.sealed_seed).where(signing_keys.c.account_id == first.public_key)
        )
        conn.execute(
            update(signing_keys)
            .where(signing_keys.c.account_id == second.public_key)
            .values(sealed_seed=token.scalar_one())
        )
    with uow_factory() as uow, pytest.raises(VaultError) as caught:
        vault.signer_for(uow.signing_keys, second.public_key)
    assert caught.value.code == "signing_key_corrupt"


def test_an_unknown_account_has_no_signer(uow_factory, vault):
    with uow_factory() as uow, pytest.raises(NotFoundError) as caught:
        vault.signer_for(uow.signing_keys, Keypair.random().public_key)
    assert caught.value.code == "signing_key_not_found"


def test_one_account_holds_one_key(uow_factory, vault):
    keypair = Keypair.random()
    _store(uow_factory, vault, keypair)
    with uow_factory() as uow, pytest.raises(ConflictError) as caught:
        vault.store(uow.signing_keys, keypair)
    assert caught.value.code == "signing_key_exists"


def test_it_signs_an_envelope_that_verifies_against_the_account(uow_factory, vault):
    keypair = Keypair.random()
    _store(uow_factory, vault, keypair)
    envelope = (
        TransactionBuilder(
            SdkAccount(keypair.public_key, 1), Network.TESTNET_NETWORK_PASSPHRASE, base_fee=100
        )
        .append_bump_sequence_op(2)
        .set_timeout(30)
        .build()
    )
    with uow_factory() as uow:
        vault.sign(uow.signing_keys, envelope, keypair.public_key)
    assert len(envelope.signatures) == 1
    Keypair.from_public_key(keypair.public_key).verify(envelope.hash(), envelope.signatures[0].signature)


def test_an_older_master_key_still_opens_keys_and_reseal_moves_them_to_the_new_one(
    uow_factory, master_key, engine
):
    keypair = Keypair.random()
    old = KeyVault(master_key)
    _store(uow_factory, old, keypair)
    new_key = Secret(Fernet.generate_key().decode())
    rotated = KeyVault(new_key, previous_keys=[master_key])
    with uow_factory() as uow:
        assert rotated.reseal(uow.signing_keys, keypair.public_key) is True
        uow.commit()
    with engine.connect() as conn:
        assert conn.execute(select(signing_keys.c.master_key_id)).scalar_one() == master_key_id(new_key)
    with uow_factory() as uow:
        assert (
            KeyVault(new_key).signer_for(uow.signing_keys, keypair.public_key).public_key
            == keypair.public_key
        )


def test_the_vault_and_its_records_show_no_secret_in_repr(vault):
    keypair = Keypair.random()
    sealed = vault.seal(keypair)
    assert keypair.secret not in repr(vault)
    assert sealed.token not in repr(sealed) and keypair.public_key in repr(sealed)
    assert keypair.secret not in repr(vault.unseal(sealed))


@pytest.mark.parametrize("plaintext", [b"not a seed", b"S" + b"A" * 55])
def test_a_sealed_value_that_is_not_a_seed_refuses_to_sign(vault, plaintext):
    from dataclasses import replace

    account = Keypair.random()
    sealed = vault.seal(account)
    damaged = replace(sealed, token=vault._current.encrypt(plaintext).decode("ascii"))  # the right master key
    with pytest.raises(VaultError) as caught:
        vault.unseal(damaged)
    assert caught.value.code == "signing_key_corrupt"
    assert vault.unseal(sealed).public_key == account.public_key
