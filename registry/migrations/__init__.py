"""Schema migrations (Alembic): the registry's tables, created and upgraded at start-up.

``tanji serve``, every CLI command and ``tanji db upgrade`` call :func:`.runner.upgrade`, which
brings the database to the newest revision in ``versions/``: from empty, from a database an
earlier revision left, and from a data dir of the numbered steps before Alembic (``tanji_schema``
version 1 to 3; the baseline revision finishes their steps). Several processes starting at once
on one PostgreSQL database take turns (an advisory lock); a database a newer Tanji upgraded is
refused.

**Adding a table or a column is one file.** Define or change the model, import its module in
:func:`registry.db.import_models` (a new module only), then, from the repository root::

    export TANJI_DATA_DIR=$(mktemp -d)      # an empty scratch data dir (SQLite)
    .venv/bin/tanji db upgrade              # scratch database at the current head
    .venv/bin/alembic revision --autogenerate --rev-id 0002 -m "pact credentials"

Alembic writes ``versions/v0002_pact_credentials.py`` (and runs ruff on it, ``alembic.ini``):
review it (data moves, enum values — PostgreSQL's ``ALTER TYPE`` — are yours to write; on SQLite
column changes come as batch operations), then run ``tests/registry/test_db.py`` on both
databases (``TANJI_TEST_DATABASE=postgresql`` for the second): it fails while the models and the
revisions disagree, or while a database upgraded from a released schema differs from a new one.
A shipped revision is never edited: a fix is a new revision.
"""

from __future__ import annotations

#: The table of the numbered steps before Alembic; an older Tanji reads its version, so the
#: baseline leaves it at :data:`LEGACY_RETIRED`, newer than any step, and an old binary refuses
#: the database (its ``schema_too_new``) instead of "upgrading" it behind Alembic's back.
LEGACY_TABLE = "tanji_schema"
LEGACY_RETIRED = 4
