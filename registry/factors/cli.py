"""``tanji factors …``: publish, import, export and search factor datasets; a version's impact.

Each command works on the data dir's database, as the other administration commands do. A
publisher's private key is read from the environment variable named by ``--key-env`` and is never
printed or logged. Module-level imports are the standard library only: ``tanji`` builds this
group's parser on every start.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlmodel import Session

    from registry.config import Settings
    from registry.models.orgs import Organisation

__all__ = ["add_commands"]

EXIT_OK = 0


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Add the ``factors`` group to ``tanji``'s subcommands."""
    factors = commands.add_parser(
        "factors", parents=[common], help="emission-factor datasets (publish, import, export)"
    )
    group = factors.add_subparsers(dest="factors_command", required=True, metavar="FACTORS_COMMAND")

    publish = group.add_parser(
        "publish", parents=[common], help="sign a tanji-factors/1 document and publish it"
    )
    publish.add_argument("file", type=Path, help="the tanji-factors/1 JSON document")
    _key_arguments(publish, required=True)
    publish.set_defaults(run=cmd_publish)

    imp = group.add_parser(
        "import",
        parents=[common],
        help="turn a CSV or JSON file of factors into a version (publish it, or write it)",
    )
    imp.add_argument("file", type=Path, help="FILE.csv (docs/ACCOUNTING.md columns) or FILE.json")
    imp.add_argument("--dataset", required=True)
    imp.add_argument("--version", required=True)
    imp.add_argument("--published", help="publication date YYYY-MM-DD (default today, UTC)")
    imp.add_argument(
        "--deprecates",
        action="append",
        default=None,
        metavar="FACTOR_ID",
        help="an id of an earlier version's factor this version retires (repeatable)",
    )
    imp.add_argument("--out", type=Path, help="write the document here")
    imp.add_argument("--publisher-name", help="without --key-env: the publisher's name")
    imp.add_argument("--publisher-address", help="without --key-env: its signing address")
    _key_arguments(imp, required=False)
    imp.set_defaults(run=cmd_import)

    export = group.add_parser("export", parents=[common], help="a published version as CSV or JSON")
    export.add_argument("ref", metavar="DATASET@VERSION")
    export.add_argument("--format", choices=("csv", "json"), default="json")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.set_defaults(run=cmd_export)

    impact = group.add_parser(
        "impact",
        parents=[common],
        help="certified footprints that used a factor this version deprecates (or, for a "
        "version withdrawn with its publisher's revoked key, any of its factors)",
    )
    impact.add_argument("ref", metavar="DATASET@VERSION")
    impact.add_argument("--json", action="store_true", help="print the footprints as JSON")
    impact.set_defaults(run=cmd_impact)

    search = group.add_parser("search", parents=[common], help="search published factors")
    search.add_argument("q", nargs="?", help="matches the id or a name in any language")
    search.add_argument("--category")
    search.add_argument("--geography")
    search.add_argument("--dataset")
    search.add_argument("--limit", type=int, default=20)
    search.set_defaults(run=cmd_search)


def _key_arguments(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument(
        "--key-env",
        required=required,
        metavar="VAR",
        help="environment variable holding the publisher's private key (0x + 64 hex)",
    )
    parser.add_argument(
        "--chain-id", type=int, help="EIP-712 domain chain (default: this deployment's)"
    )
    parser.add_argument("--contract", help="EIP-712 domain contract (default: this deployment's)")


# --- helpers ------------------------------------------------------------------------------------


def _settings_and_session(args: argparse.Namespace) -> tuple[Settings, Session]:
    from registry.cli import _session, _settings

    settings = _settings(args)
    return settings, _session(settings)


def _private_key(var: str) -> Any:
    """The account of the key in ``$var`` (its value never appears in an error)."""
    from eth_account import Account

    from registry.errors import InvalidInputError

    value = os.environ.get(var)
    if not value:
        raise InvalidInputError(
            f"environment variable {var} is not set (it holds the publisher's private key)",
            code="missing_key_env",
            field="key_env",
        )
    try:
        return Account.from_key(value.strip())
    except (ValueError, TypeError):
        raise InvalidInputError(
            f"environment variable {var} does not hold a private key (0x + 64 hex digits)",
            code="bad_private_key",
            field="key_env",
        ) from None


def _deployment(settings: Settings, args: argparse.Namespace) -> tuple[int, str]:
    """The EIP-712 domain: ``--chain-id``/``--contract``, else this data dir's deployment."""
    from registry.errors import ChainSetupError

    chain_id: int | None = args.chain_id
    if chain_id is None:
        if settings.rpc_url is None:
            from anchoring.embedded import EMBEDDED_CHAIN_ID

            chain_id = EMBEDDED_CHAIN_ID
        else:
            from web3 import Web3

            from registry.chain import node_provider

            chain_id = int(Web3(node_provider(settings.rpc_url)).eth.chain_id)
    contract: str | None = args.contract
    if contract is None:
        from registry.chain import anchor_address

        contract = anchor_address(settings, chain_id)
    if contract is None:
        raise ChainSetupError(
            f"no anchor contract is known for chain {chain_id}: run `tanji serve` or `tanji "
            "anchor` once, set TANJI_ANCHOR_ADDRESS, or pass --contract",
            code="no_contract",
            field="contract",
        )
    return chain_id, contract


def _publisher_of(session: Session, address: str) -> Organisation:
    from sqlmodel import select

    from registry.errors import PermissionDeniedError
    from registry.models.orgs import Organisation, OrgRole
    from registry.models.suppliers import SupplierKey

    key = session.exec(select(SupplierKey).where(SupplierKey.address == address)).first()
    org = session.get(Organisation, key.org_id) if key is not None else None
    if org is None or org.role != OrgRole.PUBLISHER:
        raise PermissionDeniedError(
            f"{address} is not a registered key of a publisher organisation (register it with "
            "POST /api/v1/factors/keys)",
            code="unregistered_key",
            field="key_env",
        )
    return org


def _report_rows(exc: Exception) -> None:
    """Print a refusal's items, one line each (rows of a CSV, indexes of JSON factors)."""
    for item in getattr(exc, "details", None) or []:
        if "row" in item:
            where = f"row {item['row']}" + (
                f", column {item['column']}" if item.get("column") else ""
            )
        elif "index" in item:
            where = f"{item.get('field') or 'item'}"
        else:
            where = str(item.get("field") or "document")
        print(f"  {where}: {item.get('code')}: {item.get('message')}", file=sys.stderr)


def _publish(
    session: Session,
    settings: Settings,
    args: argparse.Namespace,
    document: dict[str, Any],
    account: Any,
) -> int:
    from registry.factors import crud
    from registry.factors.starter import sign_document

    chain_id, contract = _deployment(settings, args)
    org = _publisher_of(session, account.address)
    signature = sign_document(document, account.key, chain_id=chain_id, contract=contract)
    row, created = crud.publish(
        session,
        org=org,
        document=document,
        signature=signature,
        chain_id=chain_id,
        contract=contract,
    )
    session.commit()
    state = "published" if created else "already published (same digest)"
    print(f"{row.id} {state} by {org.id} ({org.name}): {row.factor_count} factors")
    print(f"digest {row.digest}; queued for anchoring as a factor_dataset record")
    return EXIT_OK


# --- commands -----------------------------------------------------------------------------------


def cmd_publish(args: argparse.Namespace) -> int:
    """Sign ``FILE`` with the key in ``--key-env`` and publish it (``tanji factors publish``)."""
    from registry.errors import InvalidInputError
    from registry.factors.tables import read_factor_file

    document, _ = read_factor_file(args.file)
    if document is None:
        raise InvalidInputError(
            f"{args.file} is not a tanji-factors/1 document (use tanji factors import)",
            code="wrong_format",
            field="file",
        )
    account = _private_key(args.key_env)
    settings, session = _settings_and_session(args)
    with session:
        try:
            return _publish(session, settings, args, document, account)
        except InvalidInputError as exc:
            _report_rows(exc)
            raise


def cmd_import(args: argparse.Namespace) -> int:
    """CSV or JSON factors → a ``tanji-factors/1`` document: written (``--out``), published
    (``--key-env``), or both; refused rows are listed and nothing is stored."""
    from registry.errors import InvalidInputError
    from registry.factors import crud
    from registry.factors.tables import read_factor_file
    from verifier.protocol.accounting.formats import FACTORS_FORMAT

    if args.key_env is None and args.out is None:
        raise InvalidInputError("give --key-env (publish) or --out (write)", field="out")
    source, factors = read_factor_file(args.file)
    account = _private_key(args.key_env) if args.key_env else None
    settings, session = _settings_and_session(args)
    with session:
        if account is not None:
            org = _publisher_of(session, account.address)
            publisher = {"name": org.name, "address": account.address}
        else:
            publisher = {"name": args.publisher_name or "", "address": args.publisher_address or ""}
        deprecates = args.deprecates
        if deprecates is None:
            deprecates = list((source or {}).get("deprecates") or [])
        document: dict[str, Any] = {
            "format": FACTORS_FORMAT,
            "dataset": args.dataset,
            "version": args.version,
            "publisher": publisher,
            "published": args.published or datetime.now(UTC).date().isoformat(),
            "deprecates": deprecates,
            "factors": factors,
        }
        try:
            crud.validate_document(document, prefix="", csv_rows=args.file.suffix.lower() == ".csv")
            if args.out is not None:
                text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
                args.out.write_text(text, "utf-8")
                print(f"wrote {args.out}: {len(factors)} factors")
            if account is not None:
                return _publish(session, settings, args, document, account)
        except InvalidInputError as exc:
            _report_rows(exc)
            raise
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Print (or write) a published version as its JSON document or as CSV."""
    from registry.factors import crud
    from registry.factors.tables import factors_to_csv

    dataset, version = crud.dataset_version_arg(args.ref, "ref")
    _, session = _settings_and_session(args)
    with session:
        row = crud.get_version(session, dataset=dataset, version=version)
        if args.format == "csv":
            text = factors_to_csv(row.document["factors"])
        else:
            text = json.dumps(row.document, ensure_ascii=False, indent=2) + "\n"
    if args.out is not None:
        args.out.write_text(text, "utf-8", newline="")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_impact(args: argparse.Namespace) -> int:
    """List the certified footprints that used a factor the version deprecates."""
    from registry.factors import crud

    dataset, version = crud.dataset_version_arg(args.ref, "ref")
    _, session = _settings_and_session(args)
    with session:
        row = crud.get_version(session, dataset=dataset, version=version)
        found = crud.impact(session, dataset=dataset, version=version)
        revoked = crud.revocation(session, row.id)
    if args.json:
        print(json.dumps([item.model_dump(mode="json") for item in found], indent=2))
        return EXIT_OK
    for item in found:
        labels = ",".join(item.labels) or "-"
        print(f"{item.footprint_id}\t{item.category}\t{labels}\t{' '.join(item.factors)}")
    if revoked is not None:
        print(
            f"{len(found)} certified footprint(s) used a factor of {row.id}, withdrawn "
            f"{revoked.revoked_at.isoformat()} with its publisher's revoked key "
            f"{revoked.key_address}, or a factor it deprecates",
            file=sys.stderr,
        )
        return EXIT_OK
    print(
        f"{len(found)} certified footprint(s) used a factor that {row.id} deprecates "
        f"({len(row.deprecates)} deprecated)",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    """Print published factors matching the query: ref, value, unit, name."""
    from registry.errors import InvalidInputError
    from registry.factors import crud

    if not 1 <= args.limit <= crud.MAX_PAGE:
        raise InvalidInputError(f"--limit must be between 1 and {crud.MAX_PAGE}", field="limit")
    _, session = _settings_and_session(args)
    with session:
        rows, count = crud.search_factors(
            session,
            q=args.q,
            category=args.category,
            geography=args.geography,
            dataset=args.dataset,
            limit=args.limit,
        )
    for factor in rows:
        data = factor.data
        mark = " (illustrative)" if factor.illustrative else ""
        name = (data.get("names") or {}).get("en", "")
        print(
            f"{factor.dataset}@{factor.version}:{factor.factor_id}\t{data.get('value')}\t"
            f"{data.get('unit')}\t{name}{mark}"
        )
    print(f"{len(rows)} of {count} factor(s)", file=sys.stderr)
    return EXIT_OK
