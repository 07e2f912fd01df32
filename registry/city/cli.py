"""``tanji city …``: the city administrator's commands as the server operator.

- ``tanji city district ORG_ID DISTRICT`` (``-`` for none): register an organisation in a
  Chongqing district (``tanji city districts`` lists the ids);
- ``tanji city publishers``, ``tanji city publisher confirm|withdraw ORG_ID [--reason]``: the
  city's decision on emission-factor publishers;
- ``tanji city stats --measure labels --by category [--from YYYY-MM --to YYYY-MM]``: an
  aggregate as CSV (the numbers of ``GET /api/v1/stats``).

Each works on the data dir's database through the functions the API and the console call;
changes are audited with ``via`` ``cli``. Module-level imports are the standard library only:
``tanji`` builds this group's parser on every start.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_commands"]

EXIT_OK = 0


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Add the ``city`` group to ``tanji``'s subcommands."""
    city = commands.add_parser(
        "city", parents=[common], help="districts, publisher confirmations, statistics"
    )
    group = city.add_subparsers(dest="city_command", required=True, metavar="CITY_COMMAND")
    listing = group.add_parser("districts", parents=[common], help="list Chongqing's districts")
    listing.set_defaults(run=cmd_districts)
    district = group.add_parser(
        "district", parents=[common], help="register an organisation in a district"
    )
    district.add_argument("org_id")
    district.add_argument("district", help="a district id (tanji city districts), or - for none")
    district.set_defaults(run=cmd_district)
    publishers = group.add_parser("publishers", parents=[common], help="list publishers")
    publishers.set_defaults(run=cmd_publishers)
    publisher = group.add_parser(
        "publisher", parents=[common], help="confirm or withdraw a publisher"
    )
    publisher.add_argument("decision", choices=["confirm", "withdraw"])
    publisher.add_argument("org_id")
    publisher.add_argument("--reason", help="why (required to withdraw)")
    publisher.set_defaults(run=cmd_publisher)
    stats = group.add_parser("stats", parents=[common], help="an aggregate as CSV")
    stats.add_argument("--measure", required=True, choices=["footprints", "labels"])
    stats.add_argument("--by", required=True, choices=["category", "district", "grade"])
    stats.add_argument("--from", dest="start", metavar="YYYY-MM")
    stats.add_argument("--to", dest="end", metavar="YYYY-MM")
    stats.add_argument("--category")
    stats.add_argument("--district")
    stats.set_defaults(run=cmd_stats)


def _session(args: argparse.Namespace) -> object:
    from registry.cli import _session, _settings

    return _session(_settings(args))


def cmd_districts(args: argparse.Namespace) -> int:
    """Print each district: id, GB/T 2260 code, names."""
    from registry.city.districts import districts

    for d in districts():
        names = " / ".join(d.names[lang] for lang in ("zh-Hans", "zh-Hant", "en"))
        print(f"{d.id}\t{d.code or '-'}\t{names}")
    return EXIT_OK


def cmd_district(args: argparse.Namespace) -> int:
    """Register an organisation in a district."""
    from sqlmodel import Session

    from registry.crud.orgs import set_district

    session = _session(args)
    assert isinstance(session, Session)
    with session:
        district = None if args.district == "-" else args.district
        org = set_district(session, org_id=args.org_id, district=district)
        session.commit()
        print(f"{org.id} ({org.name})\t{org.district or '-'}")
    return EXIT_OK


def cmd_publishers(args: argparse.Namespace) -> int:
    """Print each publisher: org id, status, keys in force, dataset versions, name."""
    from sqlmodel import Session

    from registry.city.publishers import list_publishers

    session = _session(args)
    assert isinstance(session, Session)
    with session:
        rows, _ = list_publishers(session, limit=100_000)
    for row in rows:
        print(f"{row.org_id}\t{row.status}\t{len(row.keys)} key(s)\t{row.datasets}\t{row.name}")
    return EXIT_OK


def cmd_publisher(args: argparse.Namespace) -> int:
    """Confirm or withdraw a publisher as the server operator."""
    from sqlmodel import Session

    from registry.city.publishers import confirm_publisher, withdraw_publisher

    session = _session(args)
    assert isinstance(session, Session)
    with session:
        if args.decision == "confirm":
            row, _ = confirm_publisher(
                session, org_id=args.org_id, decider=None, reason=args.reason
            )
        else:
            row, _ = withdraw_publisher(
                session, org_id=args.org_id, decider=None, reason=args.reason
            )
        session.commit()
        print(f"{row.org_id}\t{row.status}")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    """Print an aggregate as CSV."""
    from sqlmodel import Session

    from registry.city.stats import aggregate, to_csv

    session = _session(args)
    assert isinstance(session, Session)
    with session:
        data = aggregate(
            session,
            measure=args.measure,
            by=args.by,
            start=args.start,
            end=args.end,
            category=args.category,
            district=args.district,
        )
    sys.stdout.write(to_csv(data))
    return EXIT_OK
