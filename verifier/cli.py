"""``tanji verify BUNDLE|URL ...``: verify bundles; exit 0 valid, 1 invalid, 2 error.

Thin by design: it reads inputs and the trust file, calls ``Verifier`` and prints one
``OK:`` / ``FAIL:`` / ``PENDING:`` / ``ERROR:`` line per input, then one line per check.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO, cast

from verifier._internal.defaults import DEFAULT_TIMEOUT
from verifier._internal.trust import TrustConfig, load_trust
from verifier.errors import BundleFetchError, TrustConfigError
from verifier.protocol.codes import Code
from verifier.protocol.languages import LANGUAGES, Language, normalize
from verifier.protocol.messages import message, report_message
from verifier.protocol.records import MAX_BUNDLE_BYTES, TRUST_FORMAT
from verifier.redaction import redact_secrets

if TYPE_CHECKING:
    from verifier._internal.checks import CheckResult
    from verifier._internal.verifier import VerificationReport, Verifier

# The verifier proper (web3 through the chain reader) is imported where a command runs, not here:
# ``tanji``'s other commands build this parser too, and should not pay for it.

EXIT_VALID: Final = 0
EXIT_INVALID: Final = 1
EXIT_ERROR: Final = 2
TRUST_ENV: Final = "TANJI_TRUST_FILE"
# A consumer label page (`/l/<id>`) maps to its bundle in the registry API.
_LABEL_PAGE: Final = re.compile(r"^(?P<base>https?://.+?)/l/(?P<id>[^/?#]+)/?(?:[?#].*)?$")

# Each verdict's first word on a human line (not translated: scripts read it); its sentence is
# the report catalogue's ``verdict.<VERDICT>`` (verifier/protocol/report_messages.json).
_TAGS: Final = {"VALID": "OK", "INVALID": "FAIL", "ERROR": "ERROR", "PENDING": "PENDING"}


#: ``tanji verify``'s description (also of the ``verify`` subcommand of ``tanji``).
DESCRIPTION: Final = "Verify Tanji carbon-label bundles against your own trust file and chain node."


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``tanji verify`` (``python -m verifier``)."""
    return add_arguments(argparse.ArgumentParser(prog="tanji verify", description=DESCRIPTION))


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``tanji verify``'s arguments to ``parser`` and return it.

    ``tanji``'s ``verify`` subcommand is built with this too (``registry/cli.py``), so both show
    the same options and :func:`run` gets the same namespace from either.
    """
    parser.add_argument(
        "bundles", nargs="+", metavar="BUNDLE|URL", help="bundle file or http(s) URL"
    )
    parser.add_argument(
        "--rpc-url", help="JSON-RPC node to ask (overrides the trust file's rpcUrl)"
    )
    parser.add_argument("--trust", help=f"trust file ({TRUST_FORMAT}); default ${TRUST_ENV}")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--lang",
        type=_language,
        default="en",
        metavar="TAG",
        help="language of the messages: en, zh (zh-Hans), zh-Hant, zh-HK ...; default en",
    )
    parser.add_argument("--offline", action="store_true", help="only format, integrity, inclusion")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per request"
    )
    parser.add_argument("--verbose", action="store_true", help="also print each check's data")
    parser.add_argument(
        "--inventory",
        metavar="FILE",
        help="recompute the footprint from this inventory (tanji-inventory/1, JSON or YAML) and "
        "compare it with the bundle's record (one bundle)",
    )
    parser.add_argument(
        "--factors",
        metavar="FILE",
        nargs="+",
        action="extend",
        default=[],
        help="factor dataset versions (tanji-factors/1) the inventory uses: one or more files",
    )
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run ``tanji verify`` with ``argv`` (the arguments after ``verify``; a leading ``verify`` is
    dropped) and return the exit code: 0 all valid, 1 any invalid or pending, 2 any error."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["verify"]:
        args_list = args_list[1:]
    return run(build_parser().parse_args(args_list), out=out)


def run(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Verify what the parsed arguments name (:func:`add_arguments`); return the exit code."""
    from verifier._internal.verifier import Verifier, verify_offline

    out = out or sys.stdout
    lang: Language = normalize(args.lang) or "en"
    # Node URLs may carry API keys: nothing this command prints shows them.
    redacting = _RedactingOut(out, [args.rpc_url] if args.rpc_url else [])
    out = cast(TextIO, redacting)

    verifier: Verifier | None = None
    if not args.offline:
        try:
            verifier = Verifier(
                trust=_trust(args.trust), rpc_url_override=args.rpc_url, timeout=args.timeout
            )
        except _CliError as exc:
            _fail(out, exc, args.json, lang)
            return EXIT_ERROR
        redacting.node_urls += [c.rpc_url for c in verifier.trust.chains if c.rpc_url]

    inventory = getattr(args, "inventory", None)
    if inventory and len(args.bundles) != 1:
        print(report_message("inventory.one_bundle", lang, {"count": len(args.bundles)}), file=out)
        return EXIT_ERROR

    reports: list[VerificationReport] = []
    codes: list[int] = []
    checked: dict[str, Any] | None = None
    for source in args.bundles:
        try:
            data = read_bundle(source, timeout=args.timeout)
        except BundleFetchError as exc:
            failure = _CliError(Code.CLI_BUNDLE_UNREADABLE, source=source, error=str(exc))
            _fail(out, failure, args.json, lang)
            codes.append(EXIT_ERROR)
            continue
        report = verify_offline(data) if verifier is None else verifier.verify(data)
        reports.append(report)
        codes.append(exit_code(report))
        if not args.json:
            _print_human(out, source, report, lang=lang, verbose=args.verbose)
        if inventory:
            codes += _verify_inventory_bundle(
                out, inventory, verifier, lang=lang, human=not args.json, verbose=args.verbose
            )
            checked, code = _check_inventory(
                out, data, inventory, args.factors, lang=lang, human=not args.json
            )
            codes.append(code)
    if args.json:
        import json

        payload = [r.to_dict() for r in reports]
        if checked is not None and payload:
            payload[0]["inventory"] = checked
        print(
            json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False, indent=2),
            file=out,
        )
    if EXIT_INVALID in codes:
        return EXIT_INVALID
    return EXIT_ERROR if EXIT_ERROR in codes else EXIT_VALID


def _verify_inventory_bundle(
    out: TextIO,
    inventory: str,
    verifier: Verifier | None,
    *,
    lang: Language,
    human: bool,
    verbose: bool,
) -> list[int]:
    """``--inventory`` given an inventory record's bundle: verify it like any bundle (printed
    when ``human``); return its exit code, or nothing when the file is not a bundle."""
    from verifier._internal.inventory import is_bundle
    from verifier._internal.verifier import verify_offline

    try:
        with open(inventory, "rb") as f:
            data = f.read()
    except OSError:
        return []  # reported by the inventory check
    if not is_bundle(data):
        return []
    report = verify_offline(data) if verifier is None else verifier.verify(data)
    if human:
        _print_human(out, inventory, report, lang=lang, verbose=verbose)
    return [exit_code(report)]


def _check_inventory(
    out: TextIO, data: bytes, inventory: str, factors: list[str], *, lang: Language, human: bool
) -> tuple[dict[str, Any], int]:
    """``--inventory``: recompute and compare (verifier._internal.inventory); print the outcome
    when ``human``; return its JSON form and exit code (0 MATCH, 1 MISMATCH, 2 ERROR)."""
    from verifier._internal.inventory import TAGS, check_inventory

    check = check_inventory(data, inventory, factors)
    if human:
        for index, finding in enumerate(check.findings):
            text = report_message(f"inventory.{finding.key}", lang, finding.data)
            if index == 0:
                print(f"{TAGS[check.status]}: inventory {inventory}: {text}", file=out)
            else:
                print(f"  {finding.status:<8} {text}", file=out)
    code = {"MATCH": EXIT_VALID, "MISMATCH": EXIT_INVALID}.get(check.status, EXIT_ERROR)
    return check.to_dict(), code


class _RedactingOut:
    """A text stream that takes node-URL secrets out of everything written to it."""

    def __init__(self, out: TextIO, node_urls: list[str]) -> None:
        self.out = out
        self.node_urls = node_urls

    def write(self, text: str) -> int:
        text = redact_secrets(text)
        for url in self.node_urls:
            text = redact_secrets(text, url)
        return self.out.write(text)

    def flush(self) -> None:
        self.out.flush()


def exit_code(report: VerificationReport) -> int:
    """0 for VALID, 1 for INVALID or PENDING, 2 for ERROR."""
    from verifier._internal.verifier import Verdict

    if report.status is Verdict.VALID:
        return EXIT_VALID
    return EXIT_ERROR if report.status is Verdict.ERROR else EXIT_INVALID


def bundle_url(url: str) -> str:
    """Map a consumer label page URL (``.../l/<id>``) to its bundle URL; other URLs are kept."""
    match = _LABEL_PAGE.match(url)
    if match is None:
        return url
    return f"{match['base']}/api/v1/labels/{match['id']}/bundle"


def read_bundle(source: str, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """Read a bundle's bytes from a file path or an http(s) URL (bounded in size and time)."""
    if source.startswith(("http://", "https://")):
        import httpx

        url = bundle_url(source)
        try:
            with httpx.stream(
                "GET",
                url,
                timeout=timeout,
                follow_redirects=True,
                headers={"Accept": "application/json"},
            ) as response:
                if response.status_code != 200:
                    raise BundleFetchError(f"GET {url} answered HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_BUNDLE_BYTES:
                        break  # the format check reports it as too large
                return bytes(body)
        except httpx.HTTPError as exc:
            raise BundleFetchError(f"GET {url} failed: {type(exc).__name__}: {exc}") from exc
    try:
        with open(source, "rb") as f:
            return f.read(MAX_BUNDLE_BYTES + 1)
    except OSError as exc:
        raise BundleFetchError(f"cannot read {source}: {exc.strerror or exc}") from exc


class _CliError(Exception):
    """A command-line failure (9xx): its code and the data its catalogue message is filled from."""

    def __init__(self, code: Code, **data: Any) -> None:
        super().__init__(message(code, "en", data))
        self.code = code
        self.data = data

    def message(self, lang: str) -> str:
        return message(self.code, lang, self.data)


def _trust(path: str | None) -> TrustConfig:
    path = path or os.environ.get(TRUST_ENV)
    if not path:
        raise _CliError(Code.CLI_NO_TRUST_FILE, env=TRUST_ENV)
    try:
        return load_trust(Path(path))
    except TrustConfigError as exc:
        raise _CliError(Code.CLI_BAD_TRUST_FILE, error=str(exc), field=exc.field) from exc


def _fail(out: TextIO, exc: _CliError, as_json: bool, lang: Language) -> None:
    if as_json:
        import json

        reasons = {tag: exc.message(tag) for tag in LANGUAGES}
        failure = {"status": "ERROR", "code": int(exc.code), "reason": str(exc), "reasons": reasons}
        print(json.dumps(failure | {"data": exc.data}, ensure_ascii=False), file=out)
    else:
        print(f"ERROR: [{int(exc.code)}] {exc.message(lang)}", file=out)


def _print_human(
    out: TextIO, source: str, report: VerificationReport, *, lang: Language, verbose: bool
) -> None:
    key = f"verdict.{report.status.value}"
    if report.offline and report.status.value == "VALID":
        key += ".offline"
    what = f" ({report.record_type} {report.record_id})" if report.record_id else ""
    print(f"{_TAGS[report.status]}: {source}{what}: {report_message(key, lang)}", file=out)
    for result in report.results:
        print(_check_line(result, lang), file=out)
        if verbose and result.data:
            for name, value in result.data.items():
                print(f"      {name}: {value}", file=out)
    summary = recognitions_summary(report.results, lang=lang)
    if summary:
        print(f"  {summary}", file=out)


# Recognitions by bodies the trust file does not list: reported, never relied on.
_NOT_RELIED_ON: Final = frozenset(
    {Code.RECOGNITION_NONE_CONFIGURED, Code.RECOGNITION_RECOGNIZER_NOT_IN_PROFILE}
)


_NOT_COUNTED: Final = frozenset({Code.RECOGNITION_DUPLICATE, Code.SKIPPED_FORMAT_INVALID})


def recognitions_summary(results: Sequence[CheckResult], *, lang: str = "en") -> str | None:
    """One line on a report's recognitions in ``lang`` (None without any): how many this trust
    file relies on and accepts, by whom (the trust file's names), and how many are by bodies it
    does not list and so are not relied on."""
    # A recognition listed twice under the same label (892) counts once; a malformed bundle (901)
    # has no recognitions to count.
    recognitions = [r for r in results if r.name == "recognition" and r.code not in _NOT_COUNTED]
    if not recognitions:
        return None
    from verifier._internal.checks import Status

    # What a partner certifier looks for first: which recognitions hold for its profile.
    held = [r for r in recognitions if r.status is Status.VALID]
    foreign = sum(r.status is Status.SKIPPED and r.code in _NOT_RELIED_ON for r in recognitions)
    by = list(dict.fromkeys(_recognizer(r) for r in held))
    line = report_message(
        "recognitions", lang, {"held": len(held), "total": len(recognitions), "by": by}
    )
    if foreign:
        plural = "one" if foreign == 1 else "other"
        line += report_message(f"recognitions.notReliedOn.{plural}", lang, {"count": foreign})
    return line


def _recognizer(result: CheckResult) -> str:
    return str(result.data.get("recognizerName") or result.data.get("recognizer") or "?")


def _check_line(result: CheckResult, lang: Language) -> str:
    text = result.message(lang)
    return f"  {result.status.value:<8} {result.qualified_name:<28} {int(result.code):>3}  {text}"


def _language(tag: str) -> Language:
    """``--lang``: any language tag Tanji writes (``normalize``)."""
    lang = normalize(tag)
    if lang is None:
        raise argparse.ArgumentTypeError(f"Tanji does not write {tag!r}; try one of {LANGUAGES}")
    return lang
