"""Schema migrations as services: upgrade to head, report status, roll back.

The CLI (`paycrypt migrate ...`), the health check and the tests all call these functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from paycrypt.core.errors import MigrationError, StorageError


@dataclass(frozen=True)
class MigrationStatus:
    current: str | None
    head: str
    pending: tuple[str, ...]
    descriptions: dict[str, str]

    @property
    def at_head(self) -> bool:
        return not self.pending and self.current == self.head


@dataclass(frozen=True)
class MigrationResult:
    before: str | None
    after: str | None
    applied: tuple[str, ...]


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("paycrypt.migrations")))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    return config


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as err:
        raise StorageError(f"cannot reach the database: {_reason(err)}") from err


def status(engine: Engine) -> MigrationStatus:
    script = _script()
    head = script.get_current_head()
    assert head is not None, "the migrations folder holds no revision"
    current = current_revision(engine)
    pending = tuple(reversed([rev.revision for rev in script.iterate_revisions(head, current)]))
    descriptions = {rev.revision: (rev.doc or "").strip() for rev in script.walk_revisions()}
    return MigrationStatus(current=current, head=head, pending=pending, descriptions=descriptions)


def upgrade(engine: Engine, target: str = "head") -> MigrationResult:
    before = status(engine)
    _run(engine, lambda config: command.upgrade(config, target))
    after = current_revision(engine)
    return MigrationResult(
        before=before.current, after=after, applied=before.pending if target == "head" else ()
    )


def rollback(engine: Engine, to: str | None = None) -> MigrationResult:
    """One step back by default; ``to`` names a revision to return to ("base" empties the schema)."""
    before = current_revision(engine)
    if before is None:
        raise MigrationError(
            "nothing to roll back: the database has no migration applied", code="nothing_to_rollback"
        )
    script = _script()
    if to is not None and to != "base":
        try:
            script.get_revision(to)
        except CommandError:
            raise MigrationError(f"unknown revision {to!r}", code="unknown_revision") from None
        if to == before:
            raise MigrationError(f"already at {to}", code="nothing_to_rollback")
        ancestors = {rev.revision for rev in script.iterate_revisions(before, "base")}
        if to not in ancestors:
            raise MigrationError(
                f"{to} is not older than the current revision {before}", code="not_an_ancestor"
            )
    target = to or "-1"
    removed = [
        rev.revision for rev in script.iterate_revisions(before, to if to not in (None, "base") else "base")
    ]
    if to is None:
        removed = removed[:1]
    _run(engine, lambda config: command.downgrade(config, target))
    return MigrationResult(before=before, after=current_revision(engine), applied=tuple(removed))


def _run(engine: Engine, action: Callable[[Config], None]) -> None:
    config = alembic_config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            action(config)
    except CommandError as err:
        raise MigrationError(str(err)) from err
    except OperationalError as err:
        raise StorageError(f"cannot reach the database: {_reason(err)}") from err
    except DBAPIError as err:
        raise MigrationError(f"the database refused a migration: {_reason(err)}") from err


def _reason(err: DBAPIError) -> str:
    text = str(err.orig).strip().splitlines()
    return text[0] if text else err.__class__.__name__
