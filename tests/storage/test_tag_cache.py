"""Tags in memory stay true: a change in any process reaches every cache, and a cache that cannot hear
changes remembers nothing. PostgreSQL only (SQLite has no listeners and no cache)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest
from sqlalchemy import text
from stellar_sdk import Keypair

from paycrypt.core.bootstrap import Container
from paycrypt.core.records import TagRecord
from paycrypt.core.settings import TagCacheMode
from paycrypt.core.storage.tag_cache import ListeningTagCache, NoTagCache, tag_cache_for
from paycrypt.core.tags import add_tag, find_pair, remove_tag, update_tag
from paycrypt.core.values import Tag

from ..conftest import wait_until

ALICE, BOB = Tag("alice"), Tag("bob")


@pytest.fixture
def pg_engine(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("change notices are a PostgreSQL matter")
    return engine


@pytest.fixture
def cache(pg_engine) -> Iterator[ListeningTagCache]:
    cache = ListeningTagCache(pg_engine, retry_after=0.05)
    assert cache.ticket() is None and not cache.listening  # the first ticket starts the listener
    wait_until(lambda: cache.listening)
    yield cache
    cache.close()
    assert not cache.listening and cache.ticket() is None
    cache.join()


def _heard(cache: ListeningTagCache, change: Callable[[], object]) -> None:
    """Makes a change and waits until the cache has its notice."""
    before = cache.ticket()
    change()
    wait_until(lambda: cache.ticket() != before)


def _add(cache: ListeningTagCache, uow_factory, name: str) -> str:
    account = Keypair.random().public_key
    _heard(cache, lambda: add_tag(name, account, uow=uow_factory()))
    return account


def _read(cache, uow_factory, first: Tag = ALICE, second: Tag = BOB) -> dict[Tag, TagRecord]:
    return find_pair(first, second, uow=uow_factory().reading(), cache=cache)


def test_a_sqlite_database_gets_no_cache(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("the SQLite case")
    assert isinstance(tag_cache_for(engine), NoTagCache)


def test_the_trigger_announces_each_insert_update_and_delete_at_commit(pg_engine, uow_factory):
    url = pg_engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute("LISTEN paycrypt_tags")
        add_tag("alice", Keypair.random().public_key, uow=uow_factory())
        update_tag("alice", account=Keypair.random().public_key, uow=uow_factory())
        with uow_factory() as uow:  # rolled back: never announced
            uow.connection.execute(text("DELETE FROM stellar_tags"))
        remove_tag("alice", uow=uow_factory())
        heard = [n.payload for n in listener.notifies(timeout=1.0, stop_after=3)]
    assert heard == ["alice", "alice", "alice"]


def test_tags_read_once_are_served_from_memory(cache, uow_factory):
    _add(cache, uow_factory, "alice")
    _add(cache, uow_factory, "bob")
    first = _read(cache, uow_factory)
    assert set(first) == {ALICE, BOB}
    assert cache.get(ALICE) == first[ALICE] and cache.get(BOB) == first[BOB]
    with uow_factory() as uow:  # behind the cache's back, with no notice: memory answers
        uow.connection.execute(text("ALTER TABLE stellar_tags DISABLE TRIGGER stellar_tags_changed"))
        uow.connection.execute(text("UPDATE stellar_tags SET memo_type = 'id', memo = '7'"))
        uow.connection.execute(text("ALTER TABLE stellar_tags ENABLE TRIGGER stellar_tags_changed"))
        uow.commit()
    assert _read(cache, uow_factory) == first


def test_a_change_by_another_process_is_seen_once_its_notice_arrives(cache, uow_factory):
    _add(cache, uow_factory, "alice")
    _add(cache, uow_factory, "bob")
    _read(cache, uow_factory)
    moved = Keypair.random().public_key
    update_tag("alice", account=moved, uow=uow_factory())
    wait_until(lambda: cache.get(ALICE) is None)
    assert cache.get(BOB) is not None  # only the changed tag is forgotten
    assert _read(cache, uow_factory)[ALICE].account.account_id == moved
    remove_tag("bob", uow=uow_factory())
    wait_until(lambda: cache.get(BOB) is None)
    assert set(_read(cache, uow_factory)) == {ALICE}


def test_a_read_that_began_before_its_tag_changed_is_not_remembered(cache, uow_factory):
    _add(cache, uow_factory, "alice")
    _add(cache, uow_factory, "bob")
    ticket = cache.ticket()
    with uow_factory().reading() as uow:
        stale = uow.tags.get_pair(ALICE, BOB)
    _heard(cache, lambda: update_tag("alice", account=Keypair.random().public_key, uow=uow_factory()))
    cache.remember(stale.values(), ticket)
    assert cache.get(ALICE) is None
    assert cache.get(BOB) == stale[BOB]  # another tag's change does not spoil the read


def test_without_its_listening_connection_it_remembers_nothing_until_it_is_back(cache, uow_factory):
    _add(cache, uow_factory, "alice")
    _read(cache, uow_factory)
    assert cache.get(ALICE) is not None
    with uow_factory() as uow:
        uow.connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE query = 'LISTEN paycrypt_tags' AND pid <> pg_backend_pid()"
                " AND datname = current_database()"
            )
        )
    wait_until(lambda: not cache.listening or cache.get(ALICE) is None)
    assert cache.get(ALICE) is None  # notices may have been missed: everything is forgotten
    wait_until(lambda: cache.listening)  # and it listens again
    _read(cache, uow_factory)
    assert cache.get(ALICE) is not None


def test_memory_is_bounded(pg_engine, uow_factory):
    small = ListeningTagCache(pg_engine, max_entries=2)
    try:
        small.ticket()
        wait_until(lambda: small.listening)
        for name in ("alice", "bob", "carol"):
            _add(small, uow_factory, name)
        for name in ("alice", "bob", "carol"):
            _read(small, uow_factory, Tag(name), Tag(name))
        remembered = [name for name in ("alice", "bob", "carol") if small.get(Tag(name)) is not None]
        assert 1 <= len(remembered) <= 2 and "carol" in remembered
    finally:
        small.close()


def test_this_process_forgets_its_own_change_at_once(cache, uow_factory):
    _add(cache, uow_factory, "alice")
    _read(cache, uow_factory)
    cache.forget(ALICE)
    assert cache.get(ALICE) is None


def test_an_operator_can_turn_the_cache_off(settings_factory, pg_engine):
    assert settings_factory().tag_cache is TagCacheMode.LISTEN
    off = settings_factory(PAYCRYPT_TAG_CACHE="OFF")
    assert off.tag_cache is TagCacheMode.OFF
    assert isinstance(tag_cache_for(pg_engine, off.tag_cache), NoTagCache)
    assert isinstance(Container(off, pg_engine).tag_cache, NoTagCache)


def test_a_remembered_tag_is_trusted_for_a_minute_at_most(pg_engine, uow_factory):
    now = [1000.0]
    aging = ListeningTagCache(pg_engine, clock=lambda: now[0])
    try:
        aging.ticket()
        wait_until(lambda: aging.listening)
        _add(aging, uow_factory, "alice")
        _read(aging, uow_factory)
        now[0] += 59.9
        assert aging.get(ALICE) is not None
        now[0] += 0.1  # a listener that hangs without failing can make it no staler than this
        assert aging.get(ALICE) is None
        _read(aging, uow_factory)
        assert aging.get(ALICE) is not None  # read again, trusted for another minute
    finally:
        aging.close()


def test_the_tag_services_make_their_own_process_forget_a_changed_tag(cache, uow_factory):
    _add(cache, uow_factory, "alice")
    _read(cache, uow_factory)
    update_tag("alice", account=Keypair.random().public_key, uow=uow_factory(), cache=cache)
    assert cache.get(ALICE) is None  # at once, before any notice
    _read(cache, uow_factory)
    remove_tag("alice", uow=uow_factory(), cache=cache)
    assert cache.get(ALICE) is None
