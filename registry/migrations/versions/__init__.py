"""Alembic revisions, one file each (see registry.migrations)."""
