"""HTTP API: thin FastAPI entry point over the core services."""
