"""``tanji pact …`` commands of the PACT API: credentials, sharing grants, peers, events.

- ``credentials create --org ORG_ID``: prints ``client_id=…`` and ``client_secret=…``, one per
  line (the secret is shown once; only its hash is stored); ``credentials revoke CLIENT_ID``.
- ``grant --owner ORG --to ORG`` / ``revoke-grant``: share an owner's footprints (audited).
- ``peer add --org ORG --url URL --client-id … --client-secret-env VAR``: credentials another PACT
  host gave ``ORG``, used to send it events.
- ``request --org ORG --to URL [--product-id …]``: queue a ``RequestCreated`` event to a host.
- ``publish --org ORG --to URL FOOTPRINT_ID…``: queue a ``Published`` event.
- ``inbox --org ORG``: the events received, as JSON lines.

Module-level imports are the standard library only (``tanji``'s start-up stays fast).
"""

from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlmodel import Session

    from registry.config import Settings


def add_commands(pact_commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the PACT API commands under ``tanji pact``."""
    creds = pact_commands.add_parser(
        "credentials", parents=[common], help="OAuth client credentials of the PACT API"
    )
    creds_commands = creds.add_subparsers(dest="creds_command", required=True, metavar="ACTION")
    create = creds_commands.add_parser("create", parents=[common], help="new client credentials")
    create.add_argument("--org", required=True, help="the organisation the client acts for")
    create.set_defaults(run=cmd_credentials_create)
    revoke = creds_commands.add_parser("revoke", parents=[common], help="revoke a client")
    revoke.add_argument("client_id")
    revoke.set_defaults(run=cmd_credentials_revoke)

    for name, helptext, run in (
        ("grant", "share an owner's footprints with an organisation", cmd_grant),
        ("revoke-grant", "stop sharing an owner's footprints", cmd_revoke_grant),
    ):
        cmd = pact_commands.add_parser(name, parents=[common], help=helptext)
        cmd.add_argument("--owner", required=True, help="the data owner's org id")
        cmd.add_argument("--to", required=True, help="the requesting organisation's org id")
        cmd.set_defaults(run=run)

    peer = pact_commands.add_parser("peer", parents=[common], help="another PACT host")
    peer_commands = peer.add_subparsers(dest="peer_command", required=True, metavar="ACTION")
    peer_add = peer_commands.add_parser(
        "add", parents=[common], help="credentials another host issued to one of our orgs"
    )
    peer_add.add_argument("--org", required=True)
    peer_add.add_argument("--url", required=True, help="the other host's base URL (https://…)")
    peer_add.add_argument("--client-id", required=True)
    peer_add.add_argument(
        "--client-secret-env",
        required=True,
        metavar="VAR",
        help="environment variable holding the client secret (never on the command line)",
    )
    peer_add.set_defaults(run=cmd_peer_add)

    request = pact_commands.add_parser(
        "request", parents=[common], help="ask another host for footprints (RequestCreated)"
    )
    request.add_argument("--org", required=True, help="the requesting org (ours)")
    request.add_argument("--to", required=True, help="the data owner's host base URL")
    for name in ("product-id", "company-id", "geography", "classification"):
        request.add_argument(f"--{name}", action="append", default=[])
    request.add_argument("--comment")
    request.set_defaults(run=cmd_request)

    publish = pact_commands.add_parser(
        "publish", parents=[common], help="notify another host of footprints (Published)"
    )
    publish.add_argument("--org", required=True, help="the data owner (ours)")
    publish.add_argument("--to", required=True, help="the recipient host's base URL")
    publish.add_argument("footprint_ids", nargs="+")
    publish.set_defaults(run=cmd_publish)

    inbox = pact_commands.add_parser("inbox", parents=[common], help="events received, as JSON")
    inbox.add_argument("--org", required=True)
    inbox.set_defaults(run=cmd_inbox)


def _open(args: argparse.Namespace) -> tuple[Settings, Session]:
    from registry.cli import _session, _settings

    settings = _settings(args)
    return settings, _session(settings)


def _org(session: Session, org_id: str) -> Any:
    from registry.errors import NotFoundError
    from registry.models.orgs import Organisation

    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFoundError(f"no organisation {org_id!r}", field="org")
    return org


def cmd_credentials_create(args: argparse.Namespace) -> int:
    """Create client credentials; print them, one ``name=value`` per line."""
    from registry.pact.auth import create_client

    _, session = _open(args)
    with session:
        new = create_client(session, org=_org(session, args.org))
        session.commit()
    print(f"client_id={new.client_id}")
    print(f"client_secret={new.client_secret}")
    return 0


def cmd_credentials_revoke(args: argparse.Namespace) -> int:
    """Revoke a client: its secret and tokens stop working."""
    from registry.pact.auth import revoke_client

    _, session = _open(args)
    with session:
        revoke_client(session, client_id=args.client_id)
        session.commit()
    print(f"revoked {args.client_id}")
    return 0


def cmd_grant(args: argparse.Namespace) -> int:
    """Share an owner's footprints with an organisation."""
    from registry.pact.access import grant

    _, session = _open(args)
    with session:
        grant(session, owner=_org(session, args.owner), recipient_id=args.to)
        session.commit()
    print(f"{args.owner} shares its footprints with {args.to}")
    return 0


def cmd_revoke_grant(args: argparse.Namespace) -> int:
    """Stop sharing an owner's footprints with an organisation."""
    from registry.pact.access import revoke

    _, session = _open(args)
    with session:
        revoke(session, owner=_org(session, args.owner), recipient_id=args.to)
        session.commit()
    print(f"{args.owner} no longer shares its footprints with {args.to}")
    return 0


def cmd_peer_add(args: argparse.Namespace) -> int:
    """Store credentials another PACT host issued to one of our organisations."""
    from registry.errors import InvalidInputError
    from registry.pact.models import PactPeer

    secret = os.environ.get(args.client_secret_env)
    if not secret:
        raise InvalidInputError(f"${args.client_secret_env} is empty", field="client_secret_env")
    _, session = _open(args)
    with session:
        _org(session, args.org)
        session.add(
            PactPeer(
                org_id=args.org,
                base_url=args.url.rstrip("/"),
                client_id=args.client_id,
                client_secret=secret,
            )
        )
        session.commit()
    print(f"peer {args.url} added for {args.org}")
    return 0


def cmd_request(args: argparse.Namespace) -> int:
    """Queue a RequestCreated event to another host; print its event id."""
    from registry.pact.events import CREATED, enqueue, events_url, new_event

    data: dict[str, Any] = {}
    for name, values in (
        ("productId", args.product_id),
        ("companyId", args.company_id),
        ("geography", args.geography),
        ("classification", args.classification),
    ):
        if values:
            data[name] = values
    if args.comment:
        data["comment"] = args.comment
    _, session = _open(args)
    with session:
        _org(session, args.org)
        event = new_event(CREATED, source=None, data=data)  # the server's base URL, when sent
        enqueue(session, target=events_url(args.to), event=event)
        session.commit()
    print(event["id"])
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """Queue a Published event for footprints of ours; print its event id."""
    from registry.errors import NotFoundError
    from registry.models.footprints import Footprint
    from registry.pact.events import events_url, notify_published

    _, session = _open(args)
    with session:
        _org(session, args.org)
        footprints = []
        for footprint_id in args.footprint_ids:
            footprint = session.get(Footprint, footprint_id)
            if footprint is None or footprint.org_id != args.org:
                raise NotFoundError(f"no footprint {footprint_id!r} of {args.org}", field="id")
            footprints.append(footprint)
        row = notify_published(
            session, footprints=footprints, target=events_url(args.to), source=None
        )
        session.commit()
    print(row.id)
    return 0


def cmd_inbox(args: argparse.Namespace) -> int:
    """Print the events an organisation received, oldest first, one JSON object a line."""
    from sqlmodel import col, select

    from registry.pact.models import PactInbox

    _, session = _open(args)
    with session:
        query = select(PactInbox).where(PactInbox.org_id == args.org)
        for row in session.exec(query.order_by(col(PactInbox.id))):
            print(json.dumps(row.event, ensure_ascii=False, sort_keys=True))
    return 0
