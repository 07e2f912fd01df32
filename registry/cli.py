"""``tanji``: the command line (thin: each command calls the registry's library functions).

Every command takes ``--data-dir`` (default ``$TANJI_DATA_DIR`` or ``./tanji-data``). Errors are
one line, ``error: <code>: <message>``, exit status 1; ``--verbose`` adds the traceback.
``tanji verify`` is the stand-alone verifier's CLI (``verifier.cli``: its arguments, output and exit
codes, 0 valid, 1 invalid, 2 error), built into this parser as a subcommand.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from anchoring.errors import AnchoringError
from registry.accounting.cli import add_commands as add_footprint_commands
from registry.city.cli import add_commands as add_city_commands
from registry.config import Settings, load_settings
from registry.errors import InvalidInputError, RegistryError
from registry.factors.cli import add_commands as add_factors_commands
from registry.logs import install_redaction
from registry.migrations.cli import add_commands as add_db_commands
from registry.models.orgs import OrgRole
from registry.models.users import UserRole
from registry.pact.cli import add_commands as add_pact_api_commands
from verifier import cli as verify_cli
from verifier.redaction import redact_secrets, redacted_url

EXIT_OK = 0
EXIT_FAILURE = 1

stderr = Console(stderr=True)


def _data_dir_default() -> str:
    return os.environ.get("TANJI_DATA_DIR", "tanji-data")


def build_parser() -> argparse.ArgumentParser:
    """The ``tanji`` argument parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help="database, embedded chain and keystore (default $TANJI_DATA_DIR or ./tanji-data)",
    )
    common.add_argument(
        "--verbose", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )
    parser = argparse.ArgumentParser(
        prog="tanji",
        description="Tanji (碳迹): blockchain-anchored product carbon footprints and labels",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", parents=[common], help="run the API, pages and anchoring")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--base-url", help="public URL printed in QR codes (default http://HOST:PORT)"
    )
    serve.add_argument("--ssl-certfile", type=Path, help="serve HTTPS: the certificate (PEM)")
    serve.add_argument("--ssl-keyfile", type=Path, help="serve HTTPS: its private key (PEM)")
    serve.add_argument(
        "--workers",
        type=int,
        help="API worker processes (default 1, or TANJI_WORKERS); each has its own database "
        "pool, sized from the worker count, and one of them anchors at a time",
    )
    serve.add_argument(
        "--detach",
        action="store_true",
        help="run in the background and return once the server answers (log and pid file in "
        "the data dir; stop it with kill $(cat DATA_DIR/serve.pid))",
    )
    serve.add_argument(
        "--wait-timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="with --detach: how long to wait for the server to answer (default 120)",
    )
    serve.set_defaults(run=cmd_serve)

    demo = commands.add_parser("demo", parents=[common], help="seed demo labels, write bundles")
    demo.add_argument("--out", type=Path, required=True, help="output directory")
    demo.add_argument(
        "--base-url",
        help="URL the QR codes, links and trust file's node use, as `tanji serve` will serve"
        " (e.g. http://<LAN address>:8000 for a phone on the same network)",
    )
    demo.add_argument("--rpc-url", help="anchor on this node instead of the embedded chain")
    demo.add_argument("--anchor-address", help="existing contract on --rpc-url")
    demo.add_argument(
        "--open", action="store_true", help="open the demo's index page (DIR/index.html)"
    )
    demo.set_defaults(run=cmd_demo)

    # The stand-alone verifier's own arguments and entry point: the same options, output and exit
    # codes as `python -m verifier` (no `common` parent: verify has its own --verbose).
    verify = commands.add_parser(
        "verify",
        help="verify bundles (see tanji verify --help)",
        description=verify_cli.DESCRIPTION,
    )
    verify_cli.add_arguments(verify)
    # Unknown arguments are reported with verify's usage, as `python -m verifier` reports them.
    verify.set_defaults(run=verify_cli.run, usage_error=verify.error)

    deploy = commands.add_parser("deploy", parents=[common], help="deploy the anchor contract")
    deploy.add_argument("--rpc-url", required=True)
    deploy.add_argument("--keystore", type=Path, help="encrypted keystore (else TANJI_SIGNER_KEY)")
    deploy.set_defaults(run=cmd_deploy)

    org = commands.add_parser("org", parents=[common], help="organisations and API keys")
    org_commands = org.add_subparsers(dest="org_command", required=True, metavar="ORG_COMMAND")
    create = org_commands.add_parser(
        "create", parents=[common], help="create an organisation; prints its API key last"
    )
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=[role.value for role in OrgRole])
    create.add_argument("--address", help="postal address (shown on labels a certifier issues)")
    create.add_argument(
        "--district", help="the Chongqing district it is registered in (tanji city districts)"
    )
    create.add_argument(
        "--gs1-prefix",
        action="append",
        default=[],
        metavar="PREFIX",
        help="an enterprise's GS1 company prefix, confirmed by you, the operator (repeatable)",
    )
    create.set_defaults(run=cmd_org_create)
    org_list = org_commands.add_parser("list", parents=[common], help="list organisations")
    org_list.set_defaults(run=cmd_org_list)
    key = org_commands.add_parser("key", parents=[common], help="issue another API key")
    key.add_argument("org_id")
    key.set_defaults(run=cmd_org_key)
    revoke = org_commands.add_parser(
        "revoke-keys", parents=[common], help="revoke every API key of an organisation"
    )
    revoke.add_argument("org_id")
    revoke.set_defaults(run=cmd_org_revoke_keys)
    prefix = org_commands.add_parser(
        "prefix", parents=[common], help="GS1 company prefixes an enterprise numbers GTINs with"
    )
    prefix_commands = prefix.add_subparsers(
        dest="prefix_command", required=True, metavar="PREFIX_COMMAND"
    )
    prefix_add = prefix_commands.add_parser(
        "add", parents=[common], help="claim a prefix for an enterprise (--confirm: confirm it)"
    )
    prefix_add.add_argument("--org", required=True, help="the enterprise's org id")
    prefix_add.add_argument("--prefix", required=True, help="GS1 company prefix, 6-12 digits")
    prefix_add.add_argument(
        "--confirm", action="store_true", help="confirm it too, as the server operator"
    )
    prefix_add.add_argument("--evidence", help="what proves it (e.g. a GS1 certificate number)")
    prefix_add.set_defaults(run=cmd_org_prefix_add)
    prefix_list = prefix_commands.add_parser(
        "list", parents=[common], help="list prefixes (of one organisation with --org)"
    )
    prefix_list.add_argument("--org", help="only this organisation's")
    prefix_list.set_defaults(run=cmd_org_prefix_list)

    user = commands.add_parser("user", parents=[common], help="console users of organisations")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="USER_COMMAND")
    user_create = user_commands.add_parser(
        "create", parents=[common], help="add a person to an organisation; prints a setup link"
    )
    user_create.add_argument("--org", required=True, help="the organisation's id")
    user_create.add_argument("--email", required=True, help="their email (their login name)")
    user_create.add_argument("--role", required=True, choices=[role.value for role in UserRole])
    user_create.set_defaults(run=cmd_user_create)

    anchor = commands.add_parser(
        "anchor", parents=[common], help="anchor pending records now (until none is pending)"
    )
    anchor.add_argument("--once", action="store_true", help="run the batcher once")
    anchor.set_defaults(run=cmd_anchor)

    keystore = commands.add_parser("keystore", parents=[common], help="signing keys")
    ks_commands = keystore.add_subparsers(dest="ks_command", required=True, metavar="KS_COMMAND")
    ks_create = ks_commands.add_parser(
        "create",
        parents=[common],
        help="create an encrypted keystore (password from $TANJI_KEYSTORE_PASSWORD or prompt)",
    )
    ks_create.add_argument(
        "--out", type=Path, help="file (default <data-dir>/keystore/anchorer.json)"
    )
    ks_create.set_defaults(run=cmd_keystore_create)

    pact = commands.add_parser("pact", parents=[common], help="PACT v3 ProductFootprint exchange")
    pact_commands = pact.add_subparsers(dest="pact_command", required=True, metavar="PACT_COMMAND")
    pact_export = pact_commands.add_parser(
        "export", parents=[common], help="a footprint as a PACT v3 ProductFootprint (with proof)"
    )
    pact_export.add_argument("footprint_id")
    pact_export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    pact_export.add_argument(
        "--pcf-extra",
        type=Path,
        help="JSON object of PACT pcf values Tanji does not record (fossilCarbonContent, ...); "
        "default: the declared defaults of docs/PACT.md",
    )
    pact_export.set_defaults(run=cmd_pact_export)
    pact_import = pact_commands.add_parser(
        "import", parents=[common], help="import a PACT v3 ProductFootprint as a footprint"
    )
    pact_import.add_argument("file", type=Path)
    pact_import.add_argument("--org", required=True, help="the importing enterprise's org id")
    pact_import.add_argument(
        "--category",
        help="catalogue category, if the document has none (else the general category, which "
        "is not graded or labelled)",
    )
    pact_import.add_argument(
        "--name",
        action="append",
        default=[],
        metavar="TAG=TEXT",
        help="the product's name in a language the document lacks, by language tag "
        "(zh-Hans=..., zh-Hant=..., en=...); repeatable",
    )
    pact_import.set_defaults(run=cmd_pact_import)
    add_pact_api_commands(pact_commands, common)

    audit = commands.add_parser("audit", parents=[common], help="the audit log of state changes")
    audit_commands = audit.add_subparsers(
        dest="audit_command", required=True, metavar="AUDIT_COMMAND"
    )
    audit_verify = audit_commands.add_parser(
        "verify",
        parents=[common],
        help="recompute the audit log's hash chain and check its anchored roots on chain "
        "(exit 0 intact, 1 tampered, 2 chain not reachable)",
    )
    audit_verify.add_argument(
        "--rpc-url", help="node to check roots on (default: the data dir's chain, embedded)"
    )
    audit_verify.add_argument("--json", action="store_true", help="print the report as JSON")
    audit_verify.set_defaults(run=cmd_audit_verify)
    audit_list = audit_commands.add_parser("list", parents=[common], help="recent audit entries")
    audit_list.add_argument("--limit", type=int, default=20, help="how many (newest first)")
    audit_list.add_argument("--org", help="only the entries of this organisation")
    audit_list.add_argument("--json", action="store_true", help="print the entries as JSON")
    audit_list.set_defaults(run=cmd_audit_list)

    add_factors_commands(commands, common)
    add_city_commands(commands, common)
    add_footprint_commands(commands, common)
    add_db_commands(commands, common)
    return parser


def _settings(args: argparse.Namespace, **overrides: Any) -> Settings:
    return load_settings(data_dir=getattr(args, "data_dir", None), **overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the service with uvicorn until interrupted."""
    import uvicorn

    from registry.app import create_app

    settings = _settings(args, workers=args.workers)
    if args.base_url or "base_url" not in settings.model_fields_set:
        scheme = "https" if args.ssl_certfile else "http"
        base_url = args.base_url or f"{scheme}://{_url_host(args.host)}:{args.port}"
        settings = settings.model_copy(update={"base_url": base_url.rstrip("/")})
    settings.check_safe_to_serve(args.host)
    if args.detach:
        return _serve_detached(args, settings)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stderr.print(
        f"Tanji registry on {'https' if args.ssl_certfile else 'http'}://"
        f"{_url_host(args.host)}:{args.port} (data {settings.data_dir})"
    )
    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        raise InvalidInputError(
            "HTTPS needs both --ssl-certfile and --ssl-keyfile", field="ssl_keyfile"
        )
    if settings.workers > 1:
        from registry.workers import serve_workers

        serve_workers(settings, args.host, args.port, args.ssl_certfile, args.ssl_keyfile)
        return EXIT_OK
    app = create_app(settings)
    app.state.freeze_heap = True  # a serving process (registry.heap)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
    )
    # uvicorn.Config configured its loggers' handlers; a node URL's key never reaches them.
    install_redaction(settings.rpc_url)
    uvicorn.Server(config).run()
    return EXIT_OK


def _serve_detached(args: argparse.Namespace, settings: Settings) -> int:
    """``tanji serve --detach``: start it in the background, return once it answers."""
    from registry.detach import start_detached

    serve_args = ["--host", args.host, "--port", str(args.port)]
    serve_args += ["--data-dir", str(settings.data_dir.resolve())]
    if args.base_url:
        serve_args += ["--base-url", args.base_url]
    if args.workers:
        serve_args += ["--workers", str(args.workers)]
    with stderr.status(f"starting the Tanji registry (log {settings.data_dir / 'serve.log'}) ..."):
        started = start_detached(
            serve_args,
            host=args.host,
            port=args.port,
            data_dir=settings.data_dir,
            wait_seconds=args.wait_timeout,
        )
    print(f"Tanji registry ready on {started.url} (pid {started.pid}, log {started.log})")
    print(f"stop it with: kill $(cat {started.pid_file})")
    return EXIT_OK


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def cmd_demo(args: argparse.Namespace) -> int:
    """Seed the demo (registry.demo) and write bundles, QR codes, trust file and summary."""
    import importlib

    # registry.demo is the presentation side's module; imported late so `tanji` works without it.
    demo: Any = importlib.import_module("registry.demo")
    settings = _settings(
        args, base_url=args.base_url, rpc_url=args.rpc_url, anchor_address=args.anchor_address
    )
    if settings.rpc_url is not None and settings.anchor_address is None:
        from registry.chain import open_chain

        # With --rpc-url and no address: deploy there first (or reuse this data dir's contract).
        with stderr.status(
            f"deploying the anchor contract on {redacted_url(settings.rpc_url)} ..."
        ):
            open_chain(settings, allow_deploy=True).close()
    with stderr.status("seeding the demo ...") as status:

        def progress(message: str) -> None:
            status.update(message)
            stderr.print(f"  {message}")

        summary = demo.run_demo(settings=settings, out_dir=args.out, progress=progress)
    from registry.demo_index import open_index, summary_lines

    for line in summary_lines(summary, data_dir=settings.data_dir):
        print(line)
    if args.open and (note := open_index(summary)) is not None:
        stderr.print(note)  # headless: nothing opened, nothing blocks
    print(summary.summary_file)
    return EXIT_OK


def cmd_deploy(args: argparse.Namespace) -> int:
    """Deploy the anchor contract on ``--rpc-url``; print its address last."""
    from web3 import Web3

    from registry.chain import deploy_contract, load_account, node_provider

    settings = _settings(args, rpc_url=args.rpc_url, keystore=args.keystore)
    account = load_account(settings)
    w3 = Web3(node_provider(args.rpc_url))
    with stderr.status(f"deploying from {account.address} ..."):
        client = deploy_contract(settings, w3, account)
    print(f"deployed TanjiAnchorRegistry on chain {client.chain_id}; admin {account.address}")
    print(client.address)
    return EXIT_OK


def _session(settings: Settings) -> Any:
    from sqlmodel import Session

    from registry.audit import CLI, set_actor
    from registry.db import make_engine, migrate

    engine = make_engine(settings)
    migrate(engine)
    session = Session(engine, expire_on_commit=False)
    set_actor(session, CLI)  # the server's operator: audit entries say "cli"
    return session


def cmd_org_create(args: argparse.Namespace) -> int:
    """Create an organisation; the API key is the last line of output."""
    from registry.crud.orgs import create_org
    from registry.crud.prefixes import grant_prefix, read_prefix

    if not args.name.strip():
        raise InvalidInputError("the name must not be empty", field="name")
    prefixes = [read_prefix(p, field="gs1_prefix") for p in args.gs1_prefix]
    if prefixes and args.role != OrgRole.ENTERPRISE.value:
        raise InvalidInputError("only enterprises hold GS1 company prefixes", field="gs1_prefix")
    with _session(_settings(args)) as session:
        org, key = create_org(
            session,
            name=args.name.strip(),
            role=OrgRole(args.role),
            address=args.address,
            district=args.district,
        )
        for prefix in prefixes:
            grant_prefix(session, org_id=org.id, prefix=prefix)
        session.commit()
    print(f"created organisation {org.id} ({org.name}, {org.role.value})")
    for prefix in prefixes:
        print(f"GS1 company prefix {prefix} confirmed")
    print("API key (shown once; store it now):")
    print(key)
    return EXIT_OK


def cmd_user_create(args: argparse.Namespace) -> int:
    """Create a console user; the one-time setup link is the last line of output."""
    from registry.crud.users import SETUP_LINK_TTL, create_user

    settings = _settings(args)
    with _session(settings) as session:
        user, token = create_user(
            session, org_id=args.org, email=args.email, role=UserRole(args.role)
        )
    hours = int(SETUP_LINK_TTL.total_seconds() // 3600)
    print(f"created user {user.id} ({user.email}, {user.role.value}) in {user.org_id}")
    print(f"setup link (one use, valid {hours} h; send it to them only):")
    print(f"{settings.base_url.rstrip('/')}/console/setup/{token}")
    return EXIT_OK


def cmd_org_list(args: argparse.Namespace) -> int:
    """List organisations."""
    from registry.crud.orgs import list_orgs

    with _session(_settings(args)) as session:
        rows, count = list_orgs(session, offset=0, limit=10_000)
    for org in rows:
        print(f"{org.id}\t{org.role.value}\t{org.name}")
    stderr.print(f"{count} organisation(s)")
    return EXIT_OK


def cmd_org_key(args: argparse.Namespace) -> int:
    """Issue another API key for an organisation; the key is the last line."""
    from registry.crud.orgs import add_api_key

    with _session(_settings(args)) as session:
        key = add_api_key(session, org_id=args.org_id)
    print(f"new API key for {args.org_id} (shown once):")
    print(key)
    return EXIT_OK


def cmd_org_revoke_keys(args: argparse.Namespace) -> int:
    """Revoke every API key of an organisation."""
    from registry.crud.orgs import get_org, revoke_api_keys

    with _session(_settings(args)) as session:
        get_org(session, org_id=args.org_id)
        count = revoke_api_keys(session, org_id=args.org_id)
    print(f"revoked {count} API key(s) of {args.org_id}")
    return EXIT_OK


def cmd_org_prefix_add(args: argparse.Namespace) -> int:
    """Claim (and with ``--confirm`` confirm) a GS1 company prefix for an enterprise."""
    from registry.crud.orgs import get_org
    from registry.crud.prefixes import claim_prefix, confirm_prefix
    from registry.plaintext import check_text

    evidence = args.evidence and check_text(args.evidence, field="evidence")
    with _session(_settings(args)) as session:
        org = get_org(session, org_id=args.org)
        row, _ = claim_prefix(session, org=org, prefix=args.prefix, evidence=evidence)
        if args.confirm:
            row, _ = confirm_prefix(session, org_id=org.id, prefix=row.prefix, confirmer=None)
        session.commit()
        print(f"{row.prefix}\t{row.status}\t{org.id} ({org.name})")
    return EXIT_OK


def cmd_org_prefix_list(args: argparse.Namespace) -> int:
    """List GS1 company prefixes: prefix, status, organisation."""
    from registry.crud.prefixes import list_prefixes

    with _session(_settings(args)) as session:
        rows, count = list_prefixes(session, org_id=args.org, offset=0, limit=100_000)
    for row in rows:
        print(f"{row.prefix}\t{row.status}\t{row.org_id}")
    stderr.print(f"{count} prefix(es)")
    return EXIT_OK


def cmd_anchor(args: argparse.Namespace) -> int:
    """Anchor pending records (and revocations) on the configured chain, with progress."""
    from sqlmodel import Session

    from registry.anchoring_loop import AnchoringLoop, backlog_summary
    from registry.chain import open_chain
    from registry.db import make_engine, migrate
    from registry.records import sweep_revocations

    settings = _settings(args)
    engine = make_engine(settings)
    migrate(engine)
    chain = open_chain(settings)
    loop: AnchoringLoop | None = None
    try:
        loop = AnchoringLoop(
            engine, chain.client, max_batch=settings.batch_max_size, max_wait_seconds=0
        )
        if not loop.lease.hold():  # a running `tanji serve` anchors this database
            from registry.errors import ConflictError

            raise ConflictError(
                "another process holds the anchoring lease of this database and anchors it",
                code="anchoring_lease_held",
            )
        # Records of every kind (registry.records.table) revoked while they were pending are
        # revoked on chain once anchored: those an earlier run anchored, then each batch's.
        with Session(engine) as session:
            sweep_revocations(session)
        backlog = backlog_summary(engine)
        total = int(str(backlog["pending"]))
        anchored = 0
        with _progress() as progress:
            task = progress.add_task("anchoring", total=total or None)
            while True:
                outcome = loop.batcher.run_once()
                with Session(engine) as session:
                    queued = sweep_revocations(session)
                if outcome is not None:
                    anchored += outcome.record_count
                    progress.update(task, advance=outcome.record_count)
                if args.once or (outcome is None and not queued):
                    break
        left = backlog_summary(engine)
        print(
            f"anchored {anchored} record(s) on chain {chain.chain_id} at {chain.address}; "
            f"{left['pending']} pending"
        )
    finally:
        if loop is not None:
            loop.lease.release()
        chain.close()
        engine.dispose()
    return EXIT_OK


def cmd_keystore_create(args: argparse.Namespace) -> int:
    """Create an encrypted keystore; print its address last."""
    from anchoring.signer import ENV_PASSWORD, create_keystore

    settings = _settings(args)
    path = args.out or settings.data_dir / "keystore" / "anchorer.json"
    password = os.environ.get(ENV_PASSWORD)
    if not password:
        password = getpass.getpass("keystore password: ")
        if password != getpass.getpass("repeat password: "):
            raise InvalidInputError("the passwords differ", field="password")
    address = create_keystore(Path(path), password)
    print(f"created keystore {path}")
    print(address)
    return EXIT_OK


def _json_file(path: Path, field: str) -> Any:
    import json

    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"cannot read JSON from {path}: {exc}", field=field) from exc


def cmd_pact_export(args: argparse.Namespace) -> int:
    """Print (or write) a footprint as a PACT v3 ProductFootprint with its proof extension."""
    import json

    from registry.crud.pact import export_footprint
    from registry.errors import NotFoundError
    from registry.models.footprints import Footprint

    extra = _json_file(args.pcf_extra, "pcf_extra") if args.pcf_extra else None
    settings = _settings(args)
    with _session(settings) as session:
        footprint = session.get(Footprint, args.footprint_id)
        if footprint is None:
            raise NotFoundError(f"footprint {args.footprint_id} does not exist", field="id")
        doc = export_footprint(session, footprint=footprint, settings=settings, pcf_extra=extra)
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    if args.out:
        args.out.write_text(text + "\n", "utf-8")
        stderr.print(f"wrote {args.out}")
    else:
        print(text)
    return EXIT_OK


def cmd_pact_import(args: argparse.Namespace) -> int:
    """Import a PACT v3 ProductFootprint as a footprint of an enterprise (queued for anchoring)."""
    from registry.crud.orgs import get_org
    from registry.crud.pact import import_footprint
    from registry.i18n import parse_names

    doc = _json_file(args.file, "file")
    names = parse_names(args.name, field="name")
    fill: dict[str, Any] = {"product_name": names} if names else {}
    if args.category is not None:
        fill["category"] = args.category
    with _session(_settings(args)) as session:
        org = get_org(session, org_id=args.org)
        if org.role != OrgRole.ENTERPRISE:
            raise InvalidInputError(f"{org.id} is not an enterprise", field="org")
        footprint, bundle = import_footprint(session, org=org, doc=doc, fill=fill)
        session.commit()
        footprint_id = footprint.id
    proof = " with its Tanji proof" if bundle is not None else ""
    print(f"imported {args.file} as footprint {footprint_id}{proof}")
    print(footprint_id)
    return EXIT_OK


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Check the audit log; exit 0 intact, 1 tampering found, 2 roots not checkable on chain."""
    import json
    from functools import partial

    from registry.audit_verify import open_root_reader, redactor, verify_log
    from verifier.cli import EXIT_ERROR, EXIT_INVALID, EXIT_VALID

    settings = _settings(args)
    with _session(settings) as session:
        report = verify_log(
            session,
            reader=partial(open_root_reader, settings, args.rpc_url),
            redact=redactor(settings, args.rpc_url),
        )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        checked = f"; roots checked on chain {report.chain_id}" if report.chain_id else ""
        print(
            f"audit log: {report.entries} entries, {report.anchored} anchored in "
            f"{report.batches} batch(es), {report.pending} pending{checked}"
        )
        first = report.first_bad
        if first is not None:
            where = f"first bad entry {first.entry_id}" if first.entry_id else "the log"
            print(f"FAIL: {where}: {first.code}: {first.message}")
            for finding in report.findings[1:]:
                print(f"  entry {finding.entry_id}: {finding.code}: {finding.message}")
            if report.finding_count > len(report.findings):
                print(f"  ... {report.finding_count - len(report.findings)} more")
        if report.chain_error:
            print(f"ERROR: the roots could not be checked on chain: {report.chain_error}")
        if report.status == "valid":
            print("OK: every entry's digest and link hold, and every anchored root is on chain")
    return {"valid": EXIT_VALID, "invalid": EXIT_INVALID}.get(report.status, EXIT_ERROR)


def cmd_audit_list(args: argparse.Namespace) -> int:
    """Print the newest audit entries (all, or one organisation's)."""
    import json

    from registry.crud.audit import list_entries, to_public

    if not 1 <= args.limit <= 10_000:
        raise InvalidInputError("--limit must be between 1 and 10000", field="limit")
    with _session(_settings(args)) as session:
        if args.org:
            from registry.crud.orgs import get_org

            get_org(session, org_id=args.org)
        rows, count = list_entries(session, org_id=args.org, offset=0, limit=args.limit)
        entries = to_public(session, rows)
    if args.json:
        print(json.dumps([e.model_dump(mode="json") for e in entries], indent=2))
        return EXIT_OK
    for e in entries:
        actor = f"{e.org_id or '-'}/{e.key_id or '-'} ({e.via})"
        print(
            f"{e.id}\t{e.at.isoformat(timespec='seconds')}\t{actor}\t{e.action}\t"
            f"{e.subject_type}:{e.subject_id}\t{e.anchor_status or '-'}"
        )
    stderr.print(f"{len(entries)} of {count} entr{'y' if count == 1 else 'ies'}")
    return EXIT_OK


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``tanji`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    if unknown:  # argparse's own message and exit status 2, from the parser they were meant for
        getattr(args, "usage_error", parser.error)(f"unrecognized arguments: {' '.join(unknown)}")
    run: Callable[[argparse.Namespace], int] = args.run
    if args.command == "verify":  # the verifier's exit codes (0, 1, 2) and its own error lines
        return run(args)
    verbose = bool(getattr(args, "verbose", False))
    try:
        return run(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except (RegistryError, AnchoringError) as exc:
        message = exc.message if isinstance(exc, RegistryError) else str(exc)
        culprit = getattr(exc, "field", None)
        field = f" (field {culprit})" if culprit else ""
        _fail(args, exc, f"{exc.code}: {message}{field}", verbose=verbose)
        return EXIT_FAILURE
    except Exception as exc:
        _fail(args, exc, f"internal_error: {type(exc).__name__}: {exc}", verbose=verbose)
        return EXIT_FAILURE


def _fail(args: argparse.Namespace, exc: BaseException, message: str, *, verbose: bool) -> None:
    """Print an error line (and with ``--verbose`` the traceback) without node-URL secrets."""
    node_url = getattr(args, "rpc_url", None) or os.environ.get("TANJI_RPC_URL")
    if verbose:
        trace = "".join(traceback.format_exception(exc))
        print(redact_secrets(trace, node_url), file=sys.stderr, end="")
    print(f"error: {redact_secrets(message, node_url)}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
