import pytest
from sqlalchemy import select
from stellar_sdk import Keypair

from paycrypt.core.accounts import create_custodial_account, fund_account, import_account
from paycrypt.core.errors import ConflictError, ValidationError
from paycrypt.core.horizon import HorizonError
from paycrypt.core.secrets import Secret
from paycrypt.core.storage.tables import signing_keys
from paycrypt.core.tags import add_tag, get_tag, list_tags


def test_a_created_account_is_custodial_and_its_key_signs_for_it(uow_factory, vault):
    created = create_custodial_account("treasury", uow=uow_factory(), vault=vault)
    record = get_tag("treasury", uow=uow_factory())
    assert record.custodial is True and created.funding is None
    with uow_factory() as uow:
        signer = vault.signer_for(uow.signing_keys, record.account.account_id)
    assert signer.public_key == record.account.address


def test_a_created_account_is_funded_through_friendbot_when_asked(uow_factory, vault, fake_horizon):
    created = create_custodial_account("hot", fund=True, uow=uow_factory(), vault=vault, horizon=fake_horizon)
    account_id = created.record.account.account_id
    assert fake_horizon.funded == [account_id]
    assert created.funding is not None and created.funding.transaction_hash
    assert fake_horizon.account_exists(account_id)


def test_a_failed_funding_keeps_the_key_and_says_what_exists(uow_factory, vault, fake_horizon):
    fake_horizon.fail_next = HorizonError(
        "Horizon is unreachable", code="horizon_unreachable", retriable=True
    )
    with pytest.raises(HorizonError) as caught:
        create_custodial_account("hot", fund=True, uow=uow_factory(), vault=vault, horizon=fake_horizon)
    assert caught.value.code == "horizon_unreachable"
    record = get_tag("hot", uow=uow_factory())
    assert record.account.address in caught.value.message and "'hot'" in caught.value.message
    # Funding again later works on the account whose key was kept.
    result = fund_account("hot", uow=uow_factory(), horizon=fake_horizon)
    assert result.account_id == record.account.account_id


def test_creating_an_account_under_a_taken_tag_stores_no_key(uow_factory, vault, engine):
    add_tag("taken", Keypair.random().public_key, uow=uow_factory())
    with pytest.raises(ConflictError) as caught:
        create_custodial_account("taken", uow=uow_factory(), vault=vault)
    assert caught.value.code == "tag_exists"
    with engine.connect() as conn:
        assert conn.execute(select(signing_keys)).all() == []


def test_an_imported_seed_is_sealed_and_signs_for_its_account(uow_factory, vault):
    keypair = Keypair.random()
    record = import_account("cold", Secret(keypair.secret + "\n"), uow=uow_factory(), vault=vault)
    assert (record.account.address, record.custodial) == (keypair.public_key, True)
    with uow_factory() as uow:
        assert vault.signer_for(uow.signing_keys, keypair.public_key).secret == keypair.secret


def test_importing_makes_earlier_tags_of_that_account_custodial(uow_factory, vault):
    keypair = Keypair.random()
    add_tag("watch", keypair.public_key, uow=uow_factory())
    import_account("cold", Secret(keypair.secret), uow=uow_factory(), vault=vault)
    assert get_tag("watch", uow=uow_factory()).custodial is True


def test_importing_the_same_key_under_a_second_tag_keeps_one_key(uow_factory, vault, engine):
    keypair = Keypair.random()
    import_account("one", Secret(keypair.secret), uow=uow_factory(), vault=vault)
    import_account("two", Secret(keypair.secret), uow=uow_factory(), vault=vault)
    with engine.connect() as conn:
        assert len(conn.execute(select(signing_keys)).all()) == 1
    assert [r.tag.value for r in list_tags(uow=uow_factory())] == ["one", "two"]


def _seed_with_bad_checksum() -> str:
    seed = Keypair.random().secret
    return seed[:-1] + ("A" if seed[-1] != "A" else "B")


@pytest.mark.parametrize("secret", ["", "not a seed", Keypair.random().public_key, _seed_with_bad_checksum()])
def test_an_invalid_seed_is_refused_without_repeating_it(uow_factory, vault, secret):
    with pytest.raises(ValidationError) as caught:
        import_account("cold", Secret(secret), uow=uow_factory(), vault=vault)
    assert (caught.value.code, caught.value.field) == ("secret_invalid", "secret")
    assert not secret or secret not in caught.value.message
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert list_tags(uow=uow_factory()) == []
