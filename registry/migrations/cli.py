"""``tanji db …``: upgrade the database to the newest schema revision, show its revision.

Every command and ``tanji serve`` upgrade the database when they start; ``tanji db upgrade`` does
only that (before starting several workers, say). Module-level imports are the standard library
only: ``tanji`` builds this group's parser on every start.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from registry.config import Settings

__all__ = ["add_commands"]

EXIT_OK = 0


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Add the ``db`` group to ``tanji``'s subcommands."""
    db = commands.add_parser("db", parents=[common], help="the database schema (Alembic)")
    group = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    upgrade = group.add_parser(
        "upgrade", parents=[common], help="upgrade the database to the newest schema revision"
    )
    upgrade.set_defaults(run=cmd_upgrade)
    current = group.add_parser(
        "current", parents=[common], help="print the database's revision and the newest one"
    )
    current.set_defaults(run=cmd_current)


def cmd_upgrade(args: argparse.Namespace) -> int:
    """Upgrade the data dir's database; print the revision it is at."""
    from registry.db import make_engine, migrate

    engine = make_engine(_settings(args))
    try:
        print(migrate(engine))
    finally:
        engine.dispose()
    return EXIT_OK


def cmd_current(args: argparse.Namespace) -> int:
    """Print ``<database revision or none> (head <newest revision>)``."""
    from registry.db import make_engine
    from registry.migrations.runner import current_revision, head_revision

    engine = make_engine(_settings(args))
    try:
        print(f"{current_revision(engine) or 'none'} (head {head_revision()})")
    finally:
        engine.dispose()
    return EXIT_OK


def _settings(args: argparse.Namespace) -> Settings:
    from registry.config import load_settings

    return load_settings(data_dir=getattr(args, "data_dir", None))
