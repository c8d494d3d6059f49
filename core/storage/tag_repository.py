"""Tags in the stellar_tags table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, bindparam, delete, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from paycrypt.core.errors import ConflictError
from paycrypt.core.records import TagRecord
from paycrypt.core.storage.tables import stellar_tags
from paycrypt.core.storage.types import utcnow
from paycrypt.core.values import AccountAddress, Memo, Tag

# Built once: a payment reads two tags, and building the statement costs more than running it.
_BY_TAG = select(stellar_tags).where(stellar_tags.c.tag == bindparam("tag"))
_BY_TAG_COLUMNS = tuple(_BY_TAG.selected_columns.keys())


def tag_lookup(tag: Tag) -> tuple[Select[Any], dict[str, Any]]:
    """The statement and parameters that read one tag, for a RowReader (see record_from_row)."""
    return _BY_TAG, {"tag": tag.value}


def record_from_row(row: Sequence[Any]) -> TagRecord:
    """The record in a row of the tag_lookup statement."""
    return _record(dict(zip(_BY_TAG_COLUMNS, row, strict=True)))


# Two tags (a payment's payer and payee): two plain parameters, so nothing is re-rendered per call as an
# expanding IN list would be.
_BY_TWO_TAGS = select(stellar_tags).where(
    or_(stellar_tags.c.tag == bindparam("first"), stellar_tags.c.tag == bindparam("second"))
)


class TagRepository:
    def __init__(self, connection: Connection):
        self._conn = connection

    def add(self, record: TagRecord) -> None:
        """Inserts the tag; a duplicate raises ConflictError ``tag_exists`` even when two writers race.

        The insert runs in a savepoint so that, on PostgreSQL, the refused row does not poison the rest of
        the unit of work.
        """
        values = {
            "tag": record.tag.value,
            "account_id": record.account.address,
            "memo_type": record.memo.stored_type,
            "memo": record.memo.value,
            "custodial": record.custodial,
            "created_at": record.created_at,
            "updated_at": record.updated_at,
        }
        try:
            with self._conn.begin_nested():
                self._conn.execute(insert(stellar_tags).values(**values))
        except IntegrityError as err:
            raise ConflictError(f"tag '{record.tag}' already exists", code="tag_exists") from err

    def get(self, tag: Tag) -> TagRecord | None:
        row = self._conn.execute(_BY_TAG, {"tag": tag.value}).first()
        return _record(row._mapping) if row is not None else None

    def get_pair(self, first: Tag, second: Tag) -> dict[Tag, TagRecord]:
        """Whichever of the two tags exist, read in one statement."""
        rows = self._conn.execute(_BY_TWO_TAGS, {"first": first.value, "second": second.value})
        records = (_record(row._mapping) for row in rows)
        return {record.tag: record for record in records}

    def all(self) -> list[TagRecord]:
        rows = self._conn.execute(select(stellar_tags).order_by(stellar_tags.c.tag))
        return [_record(row._mapping) for row in rows]

    def by_address(self, address: str) -> list[TagRecord]:
        """Tags naming exactly this G... or M... address (indexed)."""
        rows = self._conn.execute(select(stellar_tags).where(stellar_tags.c.account_id == address))
        return [_record(row._mapping) for row in rows]

    def for_account(self, account_id: str) -> list[TagRecord]:
        """Tags naming this G... account, directly or through one of its muxed M... addresses."""
        column = stellar_tags.c.account_id
        query = select(stellar_tags).where(or_(column == account_id, column.startswith("M")))
        rows = self._conn.execute(query)
        return [r for r in (_record(row._mapping) for row in rows) if r.account.account_id == account_id]

    def remove(self, tag: Tag) -> bool:
        result = self._conn.execute(delete(stellar_tags).where(stellar_tags.c.tag == tag.value))
        return result.rowcount > 0

    def set_custodial(self, tag: Tag, custodial: bool) -> None:
        self._conn.execute(
            update(stellar_tags)
            .where(stellar_tags.c.tag == tag.value)
            .values(custodial=custodial, updated_at=utcnow())
        )


def _record(row: Any) -> TagRecord:
    return TagRecord(
        tag=Tag(row["tag"]),
        account=AccountAddress.stored(row["account_id"]),
        memo=Memo.parse(row["memo"], row["memo_type"]) if row["memo_type"] else Memo.none(),
        custodial=bool(row["custodial"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
