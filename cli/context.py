"""Lazily built collaborators for CLI commands: nothing is read or connected until a command needs it."""

from __future__ import annotations

from paycrypt.core.bootstrap import Container, bootstrap, configure_logging
from paycrypt.core.settings import Settings, get_settings


class AppContext:
    def __init__(self) -> None:
        self._container: Container | None = None
        # One-shot commands print their own result; only long-running services log at INFO.
        self.service = False

    @property
    def settings(self) -> Settings:
        return get_settings()

    @property
    def container(self) -> Container:
        if self._container is None:
            settings = self.settings
            configure_logging(settings, quiet=not self.service)
            self._container = bootstrap(settings)
        return self._container

    def close(self) -> None:
        if self._container is not None:
            self._container.close()

    @staticmethod
    def known_secrets() -> tuple[str, ...]:
        """Secret values to mask in error output; empty when the settings themselves are broken."""
        try:
            return get_settings().known_secret_values()
        except Exception:
            return ()
