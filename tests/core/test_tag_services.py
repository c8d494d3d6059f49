import pytest
from stellar_sdk import Keypair, MuxedAccount

from paycrypt.core.errors import ConflictError, NotFoundError, ValidationError
from paycrypt.core.records import TagRecord
from paycrypt.core.storage.types import utcnow
from paycrypt.core.tags import add_tag, get_tag, list_tags, remove_tag
from paycrypt.core.values import AccountAddress, Memo, MemoType, Tag


def test_a_tag_names_an_account_with_its_memo(uow_factory):
    account = Keypair.random().public_key
    add_tag("Shop.EU", account, "42", "id", uow=uow_factory())
    record = get_tag("shop.eu", uow=uow_factory())
    assert record.tag == Tag("shop.eu")
    assert record.account.address == account
    assert record.memo == Memo(MemoType.ID, "42")
    assert record.custodial is False


def test_a_tag_can_name_a_muxed_account(uow_factory):
    muxed = MuxedAccount(Keypair.random().public_key, 7).universal_account_id
    add_tag("alice", muxed, uow=uow_factory())
    record = get_tag("alice", uow=uow_factory())
    assert (record.account.address, record.account.muxed_id) == (muxed, 7)


def test_adding_a_tag_twice_is_refused_with_tag_exists(uow_factory):
    add_tag("alice", Keypair.random().public_key, uow=uow_factory())
    with pytest.raises(ConflictError) as caught:
        add_tag("ALICE", Keypair.random().public_key, uow=uow_factory())
    assert caught.value.code == "tag_exists"
    assert len(list_tags(uow=uow_factory())) == 1


def test_the_database_constraint_refuses_a_duplicate_that_slipped_past_the_check(uow_factory):
    now = utcnow()
    record = TagRecord(
        Tag("bob"), AccountAddress.parse(Keypair.random().public_key), Memo.none(), False, now, now
    )
    with uow_factory() as uow:
        uow.tags.add(record)
        with pytest.raises(ConflictError) as caught:
            uow.tags.add(record)
        # The savepoint keeps the unit of work usable after the refused insert (PostgreSQL would abort it).
        uow.tags.add(TagRecord(Tag("carol"), record.account, Memo.none(), False, now, now))
        uow.commit()
    assert caught.value.code == "tag_exists"
    assert [r.tag.value for r in list_tags(uow=uow_factory())] == ["bob", "carol"]


@pytest.mark.parametrize(
    ("tag", "account", "memo", "memo_type", "code"),
    [
        ("a", "valid", None, None, "tag_invalid"),
        ("alice", "GNOTANACCOUNT", None, None, "destination_invalid"),
        ("alice", "valid", "x" * 29, None, "memo_too_long"),
        ("alice", "valid", "abc", "id", "memo_invalid"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(uow_factory, tag, account, memo, memo_type, code):
    account = Keypair.random().public_key if account == "valid" else account
    with pytest.raises(ValidationError) as caught:
        add_tag(tag, account, memo, memo_type, uow=uow_factory())
    assert caught.value.code == code
    assert list_tags(uow=uow_factory()) == []


def test_tags_are_listed_in_name_order(uow_factory):
    for name in ["zeta", "alpha", "mid"]:
        add_tag(name, Keypair.random().public_key, uow=uow_factory())
    assert [r.tag.value for r in list_tags(uow=uow_factory())] == ["alpha", "mid", "zeta"]


def test_removing_a_tag_forgets_it_and_audits_who_did_it(uow_factory):
    add_tag("alice", Keypair.random().public_key, uow=uow_factory())
    removed = remove_tag("alice", uow=uow_factory(), actor="cli:ops")
    assert removed.tag == Tag("alice")
    with pytest.raises(NotFoundError) as caught:
        get_tag("alice", uow=uow_factory())
    assert caught.value.code == "tag_not_found"
    with uow_factory() as uow:
        entry = uow.audit.recent(action="tag.removed")[0]
    assert (entry.actor, entry.details["tag"]) == ("cli:ops", "alice")


def test_removing_an_unknown_tag_says_tag_not_found(uow_factory):
    with pytest.raises(NotFoundError) as caught:
        remove_tag("nobody", uow=uow_factory())
    assert caught.value.code == "tag_not_found"


def test_a_tag_for_an_account_whose_key_we_hold_is_custodial(uow_factory, vault):
    keypair = Keypair.random()
    with uow_factory() as uow:
        vault.store(uow.signing_keys, keypair)
        uow.commit()
    add_tag("muxed-user", MuxedAccount(keypair.public_key, 3).universal_account_id, uow=uow_factory())
    assert get_tag("muxed-user", uow=uow_factory()).custodial is True
