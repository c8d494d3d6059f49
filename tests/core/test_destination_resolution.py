import pytest
from stellar_sdk import Keypair, MuxedAccount

from paycrypt.core.destinations import resolve_destination
from paycrypt.core.errors import NotFoundError, ValidationError
from paycrypt.core.federation import CachedFederation, FederationError
from paycrypt.core.tags import add_tag
from paycrypt.core.values import FederationAddress, Memo, MemoType, Tag

OUR_DOMAIN = "pay.example.com"


@pytest.fixture
def resolve(uow_factory, fake_federation):
    def run(text, own_domain=OUR_DOMAIN, federation=fake_federation):
        return resolve_destination(text, uow=uow_factory(), federation=federation, own_domain=own_domain)

    return run


def test_a_tag_resolves_to_its_account_and_memo(uow_factory, resolve):
    account = Keypair.random().public_key
    add_tag("shop", account, "order-7", uow=uow_factory())
    found = resolve("Shop")
    assert (found.account_id, found.memo, found.tag) == (account, Memo(MemoType.TEXT, "order-7"), Tag("shop"))


def test_an_address_resolves_to_itself_with_no_memo(resolve):
    account = Keypair.random().public_key
    muxed = MuxedAccount(account, 9).universal_account_id
    assert resolve(account).account_id == account
    found = resolve(muxed)
    assert (found.account_id, found.account.account_id, found.memo.is_none, found.tag) == (
        muxed,
        account,
        True,
        None,
    )


def test_a_federation_address_resolves_through_the_port_with_its_memo(resolve, fake_federation):
    account = Keypair.random().public_key
    fake_federation.add("bob*other.org", account, "id", "12345")
    found = resolve("bob*Other.ORG")
    assert (found.account_id, found.memo) == (account, Memo(MemoType.ID, "12345"))
    assert found.federation_address == FederationAddress("bob", "other.org")
    assert fake_federation.lookups == ["bob*other.org"]


def test_our_own_domain_resolves_from_our_tags_without_asking_the_network(
    uow_factory, resolve, fake_federation
):
    account = Keypair.random().public_key
    add_tag("alice", account, "99", "id", uow=uow_factory())
    found = resolve(f"Alice*{OUR_DOMAIN.upper()}")
    assert (found.account_id, found.memo, found.tag) == (account, Memo(MemoType.ID, "99"), Tag("alice"))
    assert fake_federation.lookups == []


def test_an_unknown_name_on_our_domain_is_federation_not_found(resolve, fake_federation):
    with pytest.raises(NotFoundError) as caught:
        resolve(f"nobody*{OUR_DOMAIN}")
    assert caught.value.code == "federation_not_found"
    assert fake_federation.lookups == []


def test_an_unknown_federation_address_is_federation_not_found(resolve):
    with pytest.raises(FederationError) as caught:
        resolve("ghost*other.org")
    assert caught.value.code == "federation_not_found"


def test_a_federation_answer_with_a_bad_account_is_refused(resolve, fake_federation):
    fake_federation.add("bad*other.org", "GNOTREAL")
    with pytest.raises(FederationError) as caught:
        resolve("bad*other.org")
    assert caught.value.code == "federation_bad_answer"


def test_federation_is_refused_when_no_port_is_configured(resolve):
    with pytest.raises(FederationError) as caught:
        resolve("bob*other.org", federation=None)
    assert caught.value.code == "federation_disabled"


def test_an_unknown_tag_is_tag_not_found(resolve):
    with pytest.raises(NotFoundError) as caught:
        resolve("nobody")
    assert caught.value.code == "tag_not_found"


@pytest.mark.parametrize("text", ["", "x", "GABC" * 20, "bob*", "not a tag!"])
def test_something_that_is_no_kind_of_destination_is_destination_invalid(resolve, text):
    with pytest.raises(ValidationError) as caught:
        resolve(text)
    assert (caught.value.code, caught.value.field) == ("destination_invalid", "destination")


def test_the_cache_answers_repeated_lookups_until_the_ttl_runs_out(fake_federation):
    now = [1000.0]
    cached = CachedFederation(fake_federation, ttl_seconds=60, clock=lambda: now[0])
    fake_federation.add("bob*other.org", Keypair.random().public_key)
    address = FederationAddress.parse("bob*other.org")
    first = cached.resolve(address)
    now[0] += 59
    assert cached.resolve(address) == first
    assert len(fake_federation.lookups) == 1
    now[0] += 2
    cached.resolve(address)
    assert len(fake_federation.lookups) == 2


def test_the_cache_does_not_keep_failures(fake_federation):
    cached = CachedFederation(fake_federation, ttl_seconds=60)
    address = FederationAddress.parse("late*other.org")
    with pytest.raises(FederationError):
        cached.resolve(address)
    fake_federation.add("late*other.org", Keypair.random().public_key)
    assert cached.resolve(address).account.address == fake_federation.records["late*other.org"]["account_id"]


def test_the_cache_stays_within_its_size(fake_federation):
    cached = CachedFederation(fake_federation, ttl_seconds=60, max_entries=2)
    for name in ["a", "b", "c"]:
        fake_federation.add(f"{name}*other.org", Keypair.random().public_key)
        cached.resolve(FederationAddress.parse(f"{name}*other.org"))
    cached.resolve(FederationAddress.parse("a*other.org"))  # evicted first, so asked again
    assert fake_federation.lookups == ["a*other.org", "b*other.org", "c*other.org", "a*other.org"]
