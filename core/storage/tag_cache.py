"""Tags remembered in memory, and forgotten as soon as any process changes them (PostgreSQL).

Every payment and every public tag lookup reads tags, and tags almost never change. A trigger on
stellar_tags (migration 0007) sends NOTIFY paycrypt_tags with the tag's name when a change commits; each
process keeps one connection listening, and a notice drops that tag from memory.

What keeps the memory true:
- Nothing is remembered before the LISTEN is in place, nor while the listening connection is lost: reads
  go to the database. Losing the connection forgets everything (notices may have been missed) and it
  reconnects after a pause.
- A read that began before any notice arrived is not remembered (a generation count), so a slow read can
  never put back a value that was just dropped.
- Only tags that exist are remembered, at most ``max_entries`` of them, each for at most ``max_age``
  seconds: should the listening connection hang without failing, no answer is older than that. TCP
  keepalives end such a connection within about 15 s, and the cache starts over.

A change is seen by other processes within the few milliseconds a notice takes to arrive, as if the request
had come that much earlier. SQLite, the embedded one-machine database, has no listeners: NoTagCache.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import Engine

from paycrypt.core.records import TagRecord
from paycrypt.core.settings import TagCacheMode
from paycrypt.core.values import Tag

log = logging.getLogger(__name__)

CHANNEL = "paycrypt_tags"
# libpq's TCP keepalives on the listening connection: a silent peer is given up after 5 + 3 * 3 s.
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 3, "keepalives_count": 3}
_EVERY_TAG = ""  # the notice after a TRUNCATE


class NoTagCache:
    """Remembers nothing: every read goes to the database."""

    def get(self, tag: Tag) -> TagRecord | None:
        return None

    def ticket(self) -> int | None:
        return None

    def remember(self, records: Iterable[TagRecord], ticket: int | None) -> None:
        return None

    def forget(self, tag: Tag) -> None:
        return None

    def close(self) -> None:
        return None


class ListeningTagCache:
    """Tags in memory while a connection listens for their changes (see the module's docstring).

    Notices are counted. A ticket is the count when a read began; a record read under a ticket is kept
    unless its tag was noticed after that ticket, or everything was forgotten since (the floor)."""

    def __init__(
        self,
        engine: Engine,
        *,
        max_entries: int = 10_000,
        max_age: float = 60.0,
        retry_after: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._conninfo = make_conninfo(url, **_KEEPALIVES)
        self._max_entries = max_entries
        self._max_age = max_age
        self._retry_after = retry_after
        self._clock = clock
        self._records: dict[Tag, tuple[TagRecord, float]] = {}  # and when it stops being trusted
        self._count = 0  # notices (and forgettings) so far
        self._noticed: dict[Tag, int] = {}  # the count at each tag's latest notice
        self._floor = 0  # tickets below it were taken before everything was forgotten
        self._listening = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None  # started by the first ticket: a one-shot command
        # that never reads tags twice never opens the listening connection

    @property
    def listening(self) -> bool:
        return self._listening

    def get(self, tag: Tag) -> TagRecord | None:
        """The remembered record, or None: read it from the database (and offer it to :meth:`remember`)."""
        entry = self._records.get(tag)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    def ticket(self) -> int | None:
        """Taken before reading from the database; None when nothing read now may be remembered."""
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._listen_forever, name="tag-cache", daemon=True)
                self._thread.start()
            return self._count if self._listening else None

    def remember(self, records: Iterable[TagRecord], ticket: int | None) -> None:
        """Keeps the records read since ``ticket`` was taken, but not one whose tag changed meanwhile."""
        with self._lock:
            if ticket is None or ticket < self._floor or not self._listening:
                return
            until = self._clock() + self._max_age
            for record in records:
                if self._noticed.get(record.tag, ticket) > ticket:
                    continue
                if len(self._records) >= self._max_entries:
                    self._records.clear()
                self._records[record.tag] = (record, until)

    def forget(self, tag: Tag) -> None:
        """Drops ``tag`` now, after this process changed it: its own next read sees the change without
        waiting for the notice (other processes wait for theirs)."""
        self._forget(tag.value)

    def close(self) -> None:
        """Forgets everything and stops listening; the connection closes within the half second a wait
        for notices lasts (no one waits for it: a command exits at once)."""
        self._stop.set()
        self._set_listening(False)

    def join(self, timeout: float = 5.0) -> None:
        """Waits for the listening connection to close after :meth:`close`."""
        if self._thread is not None:
            self._thread.join(timeout)

    # --- the listening thread --------------------------------------------------------------------------

    def _listen_forever(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self._set_listening(True)
                    while not self._stop.is_set():
                        for notice in connection.notifies(timeout=0.5):
                            self._forget(notice.payload)
            except psycopg.Error as err:
                if not self._stop.is_set():
                    log.warning("tag cache: lost its listening connection (%s); reading tags from the "
                                "database until it is back", err.__class__.__name__)  # fmt: skip
            finally:
                self._set_listening(False)
            self._stop.wait(self._retry_after)

    def _set_listening(self, listening: bool) -> None:
        with self._lock:
            self._forget_everything()
            self._listening = listening and not self._stop.is_set()

    def _forget(self, name: str) -> None:
        with self._lock:
            if name == _EVERY_TAG or len(self._noticed) >= self._max_entries:
                self._forget_everything()
                return
            self._count += 1
            tag = Tag(name)
            self._noticed[tag] = self._count
            self._records.pop(tag, None)

    def _forget_everything(self) -> None:
        self._count += 1
        self._floor = self._count
        self._records.clear()
        self._noticed.clear()


TagCache = NoTagCache | ListeningTagCache


def tag_cache_for(engine: Engine, mode: TagCacheMode = TagCacheMode.LISTEN) -> TagCache:
    """The cache PAYCRYPT_TAG_CACHE asks for, where the database can keep it true."""
    if mode is TagCacheMode.LISTEN and engine.dialect.name == "postgresql":
        return ListeningTagCache(engine)
    return NoTagCache()
