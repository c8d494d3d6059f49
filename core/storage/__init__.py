"""Persistence: table definitions, the database engine and the unit of work."""
