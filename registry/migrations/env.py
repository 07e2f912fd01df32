"""Alembic's environment: run the revisions on the registry's database.

:func:`registry.migrations.upgrade` passes its connection (``config.attributes``); the
``alembic`` command line (``alembic.ini`` at the repository root) opens the database of the
registry's settings. ``target_metadata`` is the models', for ``revision --autogenerate``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from registry.migrations.runner import migration_options


def _run(connection: Connection) -> None:
    context.configure(connection=connection, **migration_options(connection))
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    from registry.db import import_models

    import_models()
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from registry.config import load_settings
    from registry.db import make_engine

    engine = make_engine(load_settings())
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


_main()
