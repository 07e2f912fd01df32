"""Every accounting fault ``tanji verify --inventory`` can print is told from the report catalogue
(``accounting.<code>`` in verifier/protocol/report_messages.json), in every language, and names
only data its raisers give."""

from __future__ import annotations

import ast
from pathlib import Path

from verifier._internal.inventory import ACCOUNTING_PREFIX, reasons
from verifier.protocol.accounting.errors import Issue
from verifier.protocol.languages import LANGUAGES
from verifier.protocol.messages import placeholders, report_entries

ACCOUNTING = Path(__file__).resolve().parents[3] / "verifier" / "protocol" / "accounting"
#: The calls that raise a fault with its code first: ``issues.add(code, path, message, **details)``,
#: ``Issue(code, ...)``, ``_refuse(code, ...)``.
RAISERS = frozenset({"add", "Issue", "_refuse"})
#: Faults the command line reports under keys of their own (``inventory.dataset_not_given``).
OWN_KEYS = frozenset({"dataset_missing"})


def raised() -> dict[str, set[str]]:
    """Each fault code the engine raises, with every detail name any raiser of it gives."""
    found: dict[str, set[str]] = {}
    for path in sorted(ACCOUNTING.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            first = node.args[0]
            if name in RAISERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                names = {k.arg for k in node.keywords if k.arg}
                found.setdefault(first.value, set()).update(names)
    return found


def test_every_fault_has_a_catalogue_entry_naming_only_its_details() -> None:
    codes = raised()
    assert len(codes) > 20  # the scan found the raisers
    entries = report_entries()
    for code, details in codes.items():
        key = f"{ACCOUNTING_PREFIX}{code}"
        if code in OWN_KEYS:
            continue
        assert key in entries, f"{key} is missing from report_messages.json"
        for lang in LANGUAGES:
            unknown = placeholders(entries[key][lang]) - details - {"path"}
            assert not unknown, (key, lang, unknown)


def test_a_fault_is_told_in_each_language() -> None:
    issue = Issue("unit_mismatch", "lines[0].unit", "'kg' does not convert", {"unit": "kg"})
    told = reasons(issue)
    assert told["en"].startswith("the unit kg does not convert to")
    assert told["zh-Hans"].startswith("单位 kg 无法换算为")
    assert set(told) == set(LANGUAGES)
    assert reasons(Issue("too_many", "lines", "at most 10,000 lines"))["en"] == "too many items"
    unknown = Issue("no_such_code", "", "its own words")
    assert reasons(unknown) == dict.fromkeys(LANGUAGES, "its own words")


def test_an_unreadable_bundle_is_told_from_the_format_messages(tmp_path: Path) -> None:
    from verifier._internal.inventory import check_inventory
    from verifier.protocol.messages import report_message

    check = check_inventory(b"{not json", str(tmp_path / "inventory.json"))
    (finding,) = check.findings
    assert check.status == "ERROR" and finding.key == "bundle_unreadable"
    english = report_message("inventory.bundle_unreadable", "en", finding.data)
    chinese = report_message("inventory.bundle_unreadable", "zh-Hans", finding.data)
    assert (
        english
        == "the bundle's record cannot be read: malformed bundle: not JSON text (or not UTF-8)"
    )
    assert chinese.startswith("无法读取证明包中的记录：") and "JSON" in chinese
