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

from verifier._internal.defaults import DEFAULT_TIMEOUT, LOCAL_NODE_WAIT_SECONDS
from verifier._internal.trust import TrustConfig, fetch_trust, is_trust_url, load_trust
from verifier.errors import BundleFetchError, TrustConfigError
from verifier.protocol.codes import Code
from verifier.protocol.languages import LANGUAGES, Language, normalize
from verifier.protocol.messages import message, report_message
from verifier.protocol.records import MAX_BUNDLE_BYTES, TRUST_FORMAT
from verifier.redaction import redact_secrets

if TYPE_CHECKING:
    from verifier._internal.checks import CheckResult
    from verifier._internal.local_node import Patience
    from verifier._internal.verifier import VerificationReport, Verifier

# The verifier proper (web3 through the chain reader) is imported where a command runs, not here:
# ``tanji``'s other commands build this parser too, and should not pay for it.

EXIT_VALID: Final = 0
EXIT_INVALID: Final = 1
EXIT_ERROR: Final = 2
#: The label was genuine and has been replaced by a newer one (verdict SUPERSEDED).
EXIT_SUPERSEDED: Final = 3
TRUST_ENV: Final = "TANJI_TRUST_FILE"
# A consumer label page (`/l/<id>`) maps to its bundle in the registry API.
_LABEL_PAGE: Final = re.compile(r"^(?P<base>https?://.+?)/l/(?P<id>[^/?#]+)/?(?:[?#].*)?$")

# Each verdict's first word on a human line (not translated: scripts read it); its sentence is
# the report catalogue's ``verdict.<VERDICT>`` (verifier/protocol/report_messages.json).
_TAGS: Final = {
    "VALID": "OK",
    "INVALID": "FAIL",
    "ERROR": "ERROR",
    "PENDING": "PENDING",
    "SUPERSEDED": "SUPERSEDED",
}


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
    parser.add_argument(
        "--trust",
        help=f"trust file ({TRUST_FORMAT}): a path, or an https URL such as a deployment's "
        f"/.well-known/tanji-trust.json (http only on this machine); default ${TRUST_ENV}",
    )
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
        "--local-wait",
        type=float,
        default=LOCAL_NODE_WAIT_SECONDS,
        metavar="SECONDS",
        help="how long, in all, to wait for a server on this machine (localhost) that is still "
        f"starting; 0: not at all; default {LOCAL_NODE_WAIT_SECONDS:g}",
    )
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
        help="factor dataset versions the inventory uses, when its bundle does not carry them: "
        "each version's bundle (GET /api/v1/factors/datasets/D/V/bundle) or its tanji-factors/1 "
        "document, checked against the version's anchored record",
    )
    parser.add_argument(
        "--evidence",
        metavar="FILE",
        nargs="+",
        action="extend",
        default=[],
        help="evidence documents (PDF, PNG, JPEG): is each one's SHA-256 among those the label's "
        "record anchors (its evidence member)? MATCH or MISMATCH per file",
    )
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run ``tanji verify`` with ``argv`` (the arguments after ``verify``; a leading ``verify`` is
    dropped) and return the exit code: 0 all valid, 1 any invalid or pending, 2 any error, 3 any
    superseded (and none invalid or in error)."""
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
    # A server on this machine that is still starting is waited for, briefly (local_node.py).
    patience = _patience(getattr(args, "local_wait", LOCAL_NODE_WAIT_SECONDS))
    if not args.offline:
        from verifier._internal.local_node import reader_factory

        try:
            verifier = Verifier(
                trust=_trust(args.trust, timeout=args.timeout, patience=patience),
                rpc_url_override=args.rpc_url,
                timeout=args.timeout,
                chain_reader_factory=reader_factory(patience),
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
    replacements: list[dict[str, Any] | None] = []
    evidence_checked: list[list[dict[str, Any]]] = []
    for source in args.bundles:
        try:
            data = read_bundle(source, timeout=args.timeout, patience=patience)
        except BundleFetchError as exc:
            failure = _CliError(Code.CLI_BUNDLE_UNREADABLE, source=source, error=str(exc))
            _fail(out, failure, args.json, lang)
            codes.append(EXIT_ERROR)
            continue
        report = verify_offline(data) if verifier is None else verifier.verify(data)
        reports.append(report)
        codes.append(exit_code(report))
        replacement = _replacement(source, report, timeout=args.timeout)
        replacements.append(replacement)
        if not args.json:
            _print_human(out, source, report, lang=lang, verbose=args.verbose)
            _print_facts(out, data, report, replacement, lang=lang)
        if inventory:
            codes += _verify_inventory_bundle(
                out, inventory, verifier, lang=lang, human=not args.json, verbose=args.verbose
            )
            checked, code = _check_inventory(
                out, data, inventory, args.factors, verifier, lang=lang, human=not args.json
            )
            codes.append(code)
        found, evidence_codes = _check_evidence(
            out, data, getattr(args, "evidence", None) or [], lang=lang, human=not args.json
        )
        evidence_checked.append(found)
        codes += evidence_codes
    if args.json:
        import json

        payload = [r.to_dict() for r in reports]
        for item, replacement in zip(payload, replacements, strict=True):
            if item["status"] == "SUPERSEDED":
                item["supersededBy"] = replacement
        if checked is not None and payload:
            payload[0]["inventory"] = checked
        _attach_evidence(payload, evidence_checked)
        print(
            json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False, indent=2),
            file=out,
        )
    return overall_exit_code(codes)


def overall_exit_code(codes: Sequence[int]) -> int:
    """The command's exit code from each input's: the first of 1 (invalid or pending), 2
    (error), 3 (superseded) that occurs, else 0."""
    return next((c for c in (EXIT_INVALID, EXIT_ERROR, EXIT_SUPERSEDED) if c in codes), EXIT_VALID)


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
    out: TextIO,
    data: bytes,
    inventory: str,
    factors: list[str],
    verifier: Verifier | None,
    *,
    lang: Language,
    human: bool,
) -> tuple[dict[str, Any], int]:
    """``--inventory``: prove the factor-dataset versions, recompute and compare
    (verifier._internal.inventory; ``verifier`` None: offline); print the outcome when
    ``human``; return its JSON form and exit code (0 MATCH, 1 MISMATCH, 2 ERROR)."""
    from verifier._internal.inventory import TAGS, check_inventory

    check = check_inventory(
        data,
        inventory,
        factors,
        verify=verifier.verify if verifier is not None else None,
        trust=verifier.trust if verifier is not None else None,
    )
    if human:
        for index, finding in enumerate(check.findings):
            text = report_message(f"inventory.{finding.key}", lang, finding.data)
            if index == 0:
                print(f"{TAGS[check.status]}: inventory {inventory}: {text}", file=out)
            else:
                print(f"  {finding.status:<8} {text}", file=out)
    code = {"MATCH": EXIT_VALID, "MISMATCH": EXIT_INVALID}.get(check.status, EXIT_ERROR)
    return check.to_dict(), code


def _check_evidence(
    out: TextIO, data: bytes, files: list[str], *, lang: Language, human: bool
) -> tuple[list[dict[str, Any]], list[int]]:
    """``--evidence``: each file's SHA-256 against the record's ``evidence`` member
    (verifier._internal.evidence_files); print one line per file when ``human``; return the JSON
    form and the exit code (0 all MATCH, 1 any MISMATCH, 2 any ERROR; none without files)."""
    if not files:
        return [], []
    from verifier._internal.evidence_files import ERROR, MISMATCH, check_evidence_files

    findings = check_evidence_files(data, files)
    if human:
        for finding in findings:
            text = report_message(f"evidence.{finding.key}", lang, finding.data)
            print(f"{finding.status}: evidence {finding.file}: {text}", file=out)
    statuses = {finding.status for finding in findings}
    code = EXIT_INVALID if MISMATCH in statuses else EXIT_ERROR if ERROR in statuses else EXIT_VALID
    return [finding.to_dict() for finding in findings], [code]


def _attach_evidence(payload: list[dict[str, Any]], checked: list[list[dict[str, Any]]]) -> None:
    """The JSON report's ``evidence`` member of each bundle checked with ``--evidence``."""
    for item, found in zip(payload, checked, strict=False):
        if found:
            item["evidence"] = found


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
    """0 for VALID, 1 for INVALID or PENDING, 2 for ERROR, 3 for SUPERSEDED."""
    from verifier.protocol.verdicts import Verdict

    return {
        Verdict.VALID: EXIT_VALID,
        Verdict.ERROR: EXIT_ERROR,
        Verdict.SUPERSEDED: EXIT_SUPERSEDED,
    }.get(report.status, EXIT_INVALID)


# A label's own API path and its bundle's: the registry that served one can say what replaced it.
_LABEL_API: Final = re.compile(r"^(?P<base>https?://.+?)/api/v1/labels/(?P<id>[^/?#]+)")


def _replacement(
    source: str, report: VerificationReport, *, timeout: float
) -> dict[str, Any] | None:
    """For a SUPERSEDED label read from a registry URL: the label that replaced it (``id``,
    ``url`` of its page, ``confirmed`` when the new label's own record names the old one as the
    label it supersedes); None otherwise or when the registry does not say.

    The chain records only that the old label was superseded; the registry that served it knows
    which label replaced it, and the new label's anchored record says which one it replaces.
    """
    if report.status.value != "SUPERSEDED" or not report.record_id:
        return None
    match = _LABEL_PAGE.match(source) or _LABEL_API.match(source)
    if match is None:
        return None
    import httpx

    from verifier._internal.bundle import load_json

    base = match["base"]
    try:
        reply = httpx.get(f"{base}/api/v1/labels/{report.record_id}", timeout=timeout)
        new_id = load_json(reply.content).get("superseded_by") if reply.status_code == 200 else None
        if not isinstance(new_id, str) or not new_id:
            return None
        confirmed = False
        reply = httpx.get(f"{base}/api/v1/labels/{new_id}/bundle", timeout=timeout)
        if reply.status_code == 200:
            record = load_json(reply.content).get("record", {})
            confirmed = record.get("supersedes") == report.record_id
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return {"id": new_id, "url": f"{base}/l/{new_id}", "confirmed": confirmed}


def _print_facts(
    out: TextIO,
    data: bytes,
    report: VerificationReport,
    replacement: dict[str, Any] | None,
    *,
    lang: Language,
) -> None:
    """After a label's checks: what it states (what was verified, when it holds), and for a
    superseded label which label replaced it (verifier/_internal/facts.py)."""
    from verifier._internal.bundle import load_json
    from verifier._internal.facts import label_facts, replacement_lines
    from verifier.errors import BundleFormatError

    try:
        record = load_json(data).get("record")
    except (BundleFormatError, AttributeError):
        record = None
    proven = not report.offline and report.status.value in ("VALID", "SUPERSEDED")
    for line in label_facts(record, report.results, lang, proven=proven):
        print(f"  {line}", file=out)
    if report.status.value == "SUPERSEDED":
        for line in replacement_lines(replacement, lang):
            print(f"  {line}", file=out)


def bundle_url(url: str) -> str:
    """Map a consumer label page URL (``.../l/<id>``) to its bundle URL; other URLs are kept."""
    match = _LABEL_PAGE.match(url)
    if match is None:
        return url
    return f"{match['base']}/api/v1/labels/{match['id']}/bundle"


def read_bundle(
    source: str, *, timeout: float = DEFAULT_TIMEOUT, patience: Patience | None = None
) -> bytes:
    """Read a bundle's bytes from a file path or an http(s) URL (bounded in size and time).

    With ``patience``, a server on this machine that refuses the connection is waited for.
    """
    if source.startswith(("http://", "https://")):
        import httpx

        url = bundle_url(source)
        if patience is not None:
            return patience.call(
                url,
                lambda: read_bundle(source, timeout=timeout),
                lambda exc: isinstance(exc.__cause__, httpx.ConnectError),
            )
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


def _patience(seconds: float) -> Patience:
    """This command's budget for waiting on a server on this machine; says so on stderr."""
    from verifier._internal.local_node import Patience

    def say(url: str) -> None:
        print(f"waiting for {redact_secrets(url)} to start ...", file=sys.stderr)

    return Patience(max(0.0, seconds), on_wait=say)


class _CliError(Exception):
    """A command-line failure (9xx): its code and the data its catalogue message is filled from."""

    def __init__(self, code: Code, **data: Any) -> None:
        super().__init__(message(code, "en", data))
        self.code = code
        self.data = data

    def message(self, lang: str) -> str:
        return message(self.code, lang, self.data)


def _trust(path: str | None, *, timeout: float, patience: Patience | None = None) -> TrustConfig:
    """The trust file at ``path`` (a file, or an https URL such as a deployment's
    ``/.well-known/tanji-trust.json``), else at ``$TANJI_TRUST_FILE``."""
    path = path or os.environ.get(TRUST_ENV)
    if not path:
        raise _CliError(Code.CLI_NO_TRUST_FILE, env=TRUST_ENV)
    try:
        if is_trust_url(path):
            return fetch_trust(path, timeout=timeout, patience=patience)
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
    from verifier._internal.facts import recognition_held

    # What a partner certifier looks for first: which recognitions hold for its profile. A
    # recognition whose own bundle could not be checked on chain (the node is down) is not held.
    state = [recognition_held(r, results) for r in recognitions]
    held = [r for r, ok in zip(recognitions, state, strict=True) if ok]
    if not held and None in state:
        return report_message("recognitions.unchecked", lang, {"total": len(recognitions)})
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
