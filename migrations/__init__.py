"""Alembic migrations for the PayCrypt database."""
