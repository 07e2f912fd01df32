"""``tanji footprint calc FILE``: compute an inventory's footprint (and submit it).

Offline by default: the factor dataset versions the inventory names come from the files given
with ``--factors``, then the starter datasets shipped with Tanji, then (only for a version still
missing, and only if it exists) the data dir's database. ``--submit`` stores the result as a
footprint of an enterprise in the data dir's database (the command-line twin of ``POST
/api/v1/calculations?submit=true``); its datasets must then be published there.

Output: a table (``rich``), or with ``--json`` the result as the API gives it. A refused
inventory exits 1 after one line per fault: ``error: <code>: <line path>: <message>``. Module
level imports are the standard library only: ``tanji`` builds this group's parser on every start.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from registry.accounting.calculation import Calculation, CalculationError
    from registry.accounting.datasets import DatasetSource
    from registry.config import Settings

__all__ = ["add_commands"]

EXIT_OK = 0
EXIT_FAILURE = 1
#: Lines the table shows (the largest first); ``--json`` has them all.
TABLE_LINES = 15


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Add the ``footprint`` group to ``tanji``'s subcommands."""
    footprint = commands.add_parser(
        "footprint", parents=[common], help="compute footprints from inventories"
    )
    group = footprint.add_subparsers(
        dest="footprint_command", required=True, metavar="FOOTPRINT_COMMAND"
    )
    calc = group.add_parser(
        "calc",
        parents=[common],
        help="compute an inventory's footprint (JSON or YAML, docs/ACCOUNTING.md)",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    calc.add_argument("file", type=Path, help="the tanji-inventory/1 document (JSON or YAML)")
    calc.add_argument("--json", action="store_true", help="print the result as JSON")
    calc.add_argument(
        "--factors",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a tanji-factors/1 dataset version document to take factors from (repeatable)",
    )
    calc.add_argument("--iterations", type=int, default=None, help="Monte Carlo iterations")
    calc.add_argument("--seed", type=int, default=0, help="Monte Carlo seed (default 0)")
    calc.add_argument("--no-interval", action="store_true", help="skip the Monte Carlo run")
    submit = calc.add_argument_group("submitting the result as a footprint")
    submit.add_argument(
        "--submit", action="store_true", help="store it as a footprint in the data dir"
    )
    submit.add_argument("--org", help="the enterprise's org id (with --submit)")
    submit.add_argument(
        "--period", metavar="START/END", help="reference period, e.g. 2025-01-01/2025-12-31"
    )
    submit.add_argument("--geography", metavar="CODE", help="ISO 3166 code, e.g. CN or CN-CQ")
    submit.add_argument("--product-id", action="append", default=[], metavar="ID")
    submit.add_argument("--notes")
    submit.add_argument(
        "--quality", type=int, metavar="1-5", help="data quality rating (default: computed)"
    )
    calc.set_defaults(run=cmd_calc)


def _sources(args: argparse.Namespace, settings: Settings) -> list[DatasetSource]:
    from registry.accounting.datasets import FileDatasets, StarterDatasets

    sources: list[DatasetSource] = [FileDatasets(args.factors), StarterDatasets()]
    if settings.database_url is not None or (settings.data_dir / "registry.sqlite3").exists():
        sources.append(_LazyDatabase(settings))
    return sources


class _LazyDatabase:
    """The data dir's database, opened only when a version is still missing."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session: Any = None

    def find(self, dataset: str, version: str) -> list[Any]:
        from registry.accounting.datasets import DatabaseDatasets
        from registry.cli import _session

        if self.session is None:
            self.session = _session(self.settings)
        return DatabaseDatasets(self.session).find(dataset, version)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


def _details(args: argparse.Namespace) -> Any:
    from pydantic import ValidationError

    from registry.accounting.submission import FootprintDetails
    from registry.errors import InvalidInputError
    from registry.validation import validation_error_details

    if not args.org or not args.period or not args.geography:
        raise InvalidInputError(
            "--submit needs --org, --period START/END and --geography", field="submit"
        )
    start, _, end = args.period.partition("/")
    country, _, subdivision = args.geography.partition("-")
    raw = {
        "reference_period": {"start": start, "end": end},
        "geography": {"country": country}
        | ({"subdivision": args.geography} if subdivision else {}),
        "product_ids": args.product_id,
        "notes": args.notes,
        "data_quality_rating": args.quality,
    }
    try:
        return FootprintDetails.model_validate(raw)
    except ValidationError as exc:
        first = validation_error_details(exc.errors())[0]
        raise InvalidInputError(first["message"], code=first["code"], field=first["field"]) from exc


def _report_refusal(exc: CalculationError, *, as_json: bool) -> int:
    for issue in exc.issues:
        where = f"{issue.path}: " if issue.path else ""
        print(f"error: {issue.code}: {where}{issue.message}", file=sys.stderr)
    if as_json:
        print(json.dumps({"error": exc.to_body()["error"]}, ensure_ascii=False, indent=2))
    return EXIT_FAILURE


def cmd_calc(args: argparse.Namespace) -> int:
    """Compute the inventory in ``args.file``; print it; with ``--submit`` store it."""
    from registry.accounting.calculation import CalculationError, MonteCarlo, run_calculation
    from registry.accounting.datasets import resolve_datasets
    from registry.accounting.uncertainty import DEFAULT_ITERATIONS
    from registry.cli import _settings
    from registry.errors import InvalidInputError
    from verifier.protocol.accounting import AccountingError, parse_inventory

    if args.submit and args.factors:
        raise InvalidInputError(
            "--submit takes the factor datasets published in the data dir, not --factors",
            field="factors",
        )
    details = _details(args) if args.submit else None
    settings = _settings(args)
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {args.file}: {exc.strerror}", field="file") from exc
    sources = _sources(args, settings) if not args.submit else []
    try:
        try:
            inventory = parse_inventory(data)
            if args.submit:
                return _submit(args, settings, inventory, details)
            datasets = resolve_datasets(inventory, sources)
        except AccountingError as exc:
            raise CalculationError(exc) from None
        run = None
        if not args.no_interval:
            run = MonteCarlo(args.iterations or DEFAULT_ITERATIONS, args.seed)
        calculation = run_calculation(inventory, datasets, monte_carlo_run=run)
    except CalculationError as exc:
        return _report_refusal(exc, as_json=args.json)
    finally:
        for source in sources:
            if isinstance(source, _LazyDatabase):
                source.close()
    _print(calculation, as_json=args.json)
    return EXIT_OK


def _submit(args: argparse.Namespace, settings: Settings, inventory: Any, details: Any) -> int:
    from registry.accounting.calculation import MonteCarlo, run_calculation
    from registry.accounting.datasets import DatabaseDatasets, resolve_datasets
    from registry.accounting.submission import check_attestations, submit_calculation
    from registry.accounting.uncertainty import DEFAULT_ITERATIONS
    from registry.cli import _session
    from registry.crud.orgs import get_org
    from registry.errors import InvalidInputError
    from registry.models.orgs import OrgRole

    with _session(settings) as session:
        org = get_org(session, org_id=args.org)
        if org.role != OrgRole.ENTERPRISE:
            raise InvalidInputError(f"{org.id} is not an enterprise", field="org")
        datasets = resolve_datasets(inventory, [DatabaseDatasets(session, refuse_revoked=True)])
        run = None
        if not args.no_interval:
            run = MonteCarlo(args.iterations or DEFAULT_ITERATIONS, args.seed)
        calculation = run_calculation(inventory, datasets, monte_carlo_run=run)
        attestations = check_attestations(session, inventory)
        footprint = submit_calculation(
            session, org=org, calculation=calculation, details=details, attestations=attestations
        )
        session.commit()
        footprint_id = footprint.id
    _print(calculation, as_json=args.json, footprint_id=footprint_id)
    if not args.json:
        print(footprint_id)
    return EXIT_OK


def _print(calculation: Calculation, *, as_json: bool, footprint_id: str | None = None) -> None:
    result = calculation.to_dict()
    if footprint_id is not None:
        result["footprint"] = {"id": footprint_id}
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    _table(calculation, result, footprint_id)


def _table(calculation: Calculation, result: dict[str, Any], footprint_id: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=True)
    inventory = calculation.inventory
    names = (inventory.document.get("product") or {}).get("names") or {}
    product = names.get("en") or names.get("zh-Hans") or inventory.id
    unit = result["declared_unit"]
    console.print(f"[bold]{product}[/bold]  ({result['category']}, inventory {inventory.id})")
    console.print(
        f"[bold]{result['kg_co2e_per_unit']}[/bold] kg CO2e per {unit['amount']} {unit['unit']}"
        f"  ({calculation.rules.system_boundary}, {result['gwp']}, engine {result['engine']})"
    )
    interval = result["interval"]
    if interval is not None:
        console.print(
            f"95 % interval {interval['low']} … {interval['high']} kg CO2e "
            f"(Monte Carlo, {interval['iterations']:,} iterations, seed {interval['seed']})"
        )
    share = result["primary_data_share"]
    console.print(f"primary data share {share if share is not None else '-'} %")
    for title, key in (("stage", "by_stage"), ("gas", "by_gas"), ("data source", "by_source")):
        table = Table(title=f"by {title} (kg CO2e per declared unit)", title_justify="left")
        table.add_column(title)
        table.add_column("kg CO2e", justify="right")
        for name, value in result[key].items():
            table.add_row(name, value)
        console.print(table)
    _lines_table(console, result)
    quality = result["data_quality"]
    if quality:
        console.print("data quality (1 best … 5 worst): " + _pairs(quality))
    console.print(
        "datasets: "
        + ", ".join(f"{d['dataset']}@{d['version']}" for d in result["factor_datasets"])
    )
    console.print(f"inventory digest {result['inventory']['digest']}")
    illustrative = result["illustrative_factors"]
    if illustrative:
        console.print(
            f"[yellow]built on {len(illustrative)} illustrative factor(s): not for real "
            f"accounting[/yellow] ({', '.join(illustrative[:5])}"
            f"{', …' if len(illustrative) > 5 else ''})"
        )
    if footprint_id is not None:
        console.print(f"submitted as footprint {footprint_id}")


def _lines_table(console: Any, result: dict[str, Any]) -> None:
    from decimal import Decimal

    from rich.table import Table

    lines = sorted(result["lines"], key=lambda line: -abs(Decimal(line["kg_co2e"])))
    shown = lines[:TABLE_LINES]
    table = Table(
        title=f"largest lines (kg CO2e for the inventory as written; {len(lines)} in all)",
        title_justify="left",
    )
    for column in ("line", "stage", "source", "kg CO2e", "factor"):
        # Ids fold onto a second line in a narrow terminal rather than lose their ends.
        table.add_column(
            column, justify="right" if column == "kg CO2e" else "left", overflow="fold"
        )
    for line in shown:
        factor = line.get("factor") or (
            f"sub-inventory {line['subInventory']}" if "subInventory" in line else "-"
        )
        table.add_row(line["id"], line["stage"], line["source"], line["kg_co2e"], factor)
    console.print(table)


def _pairs(values: dict[str, Any]) -> str:
    return ", ".join(f"{name} {value}" for name, value in values.items())
