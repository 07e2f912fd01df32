"""Generate the tables of docs/PROTOCOL.md that restate facts the code owns.

Each table stands between ``<!-- NAME:begin ... -->`` and ``<!-- NAME:end -->`` markers and is made
here from its one source, so that it cannot drift (``tests/verifier/test_protocol_doc.py`` fails
when a table in PROTOCOL.md is not what this script makes):

- ``contract-abi`` (section 8): every function, event and custom error of the compiled
  ``TanjiAnchorRegistry`` (``anchoring/artifacts/TanjiAnchorRegistry.json``): its Solidity
  declaration and signature, its selector (functions and errors: the first 4 bytes of
  ``keccak256(signature)``) or topic 0 (events: the whole hash), who may call it, what it reverts
  with, and what it is for. Selectors are computed here, never typed by hand. Roles and reverts are
  read from ``contracts/TanjiAnchorRegistry.sol`` (``onlyRole(...)`` and ``revert ...(`` in each
  function, through the private helpers it calls), the meaning from the ``@notice`` of
  ``contracts/ITanjiAnchorRegistry.sol``; the entries inherited from OpenZeppelin
  ``AccessControl`` are described below.
- ``revocation-reasons``, ``withdrawal-reasons`` (section 9): ``verifier.protocol.reasons``.
- ``result-codes`` (section 10.9): every ``verifier.protocol.codes.Code`` by number and name.

Run from the repository root: ``python scripts/gen_protocol_doc.py`` prints the tables;
``--write`` replaces them in docs/PROTOCOL.md.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from verifier.protocol.codes import Code  # noqa: E402
from verifier.protocol.hashing import keccak  # noqa: E402
from verifier.protocol.reasons import (  # noqa: E402
    NOT_REVOKED,
    REVOCATION_REASONS,
    WITHDRAWAL_REASONS,
    Reason,
)

ARTIFACT: Final = ROOT / "anchoring" / "artifacts" / "TanjiAnchorRegistry.json"
CONTRACT: Final = ROOT / "contracts" / "TanjiAnchorRegistry.sol"
INTERFACE: Final = ROOT / "contracts" / "ITanjiAnchorRegistry.sol"
PROTOCOL: Final = ROOT / "docs" / "PROTOCOL.md"
GENERATOR: Final = "scripts/gen_protocol_doc.py"

# Entries inherited from OpenZeppelin AccessControl (v5), which the contract's source does not
# spell out: (who may call, reverts, meaning).
_INHERITED: Final[Mapping[str, tuple[str, str, str]]] = {
    "DEFAULT_ADMIN_ROLE": (
        "anyone",
        "never",
        "the admin role, `0x00…00`; it administers every role",
    ),
    "getRoleAdmin": ("anyone", "never", "the role that administers `role`"),
    "hasRole": ("anyone", "never", "whether `account` holds `role`"),
    "grantRole": (
        "the role's admin role",
        "`AccessControlUnauthorizedAccount`",
        "grant `role` to `account` (emits `RoleGranted` unless held)",
    ),
    "revokeRole": (
        "the role's admin role",
        "`AccessControlUnauthorizedAccount`",
        "take `role` from `account` (emits `RoleRevoked` if held)",
    ),
    "renounceRole": (
        "the holder itself",
        "`AccessControlBadConfirmation` (when the confirmation is not the sender)",
        "give up one's own `role`",
    ),
    "supportsInterface": (
        "anyone",
        "never",
        "ERC-165: true for `ITanjiAnchorRegistry` (`{registry_id}`), `IAccessControl`"
        " (`{access_control_id}`) and ERC-165 (`{erc165_id}`)",
    ),
    "RoleGranted": ("", "", "`account` was granted `role` by `sender`"),
    "RoleRevoked": ("", "", "`account` lost `role` (revoked by `sender`, or renounced)"),
    "RoleAdminChanged": ("", "", "the admin role of `role` changed (never, in this contract)"),
    "AccessControlUnauthorizedAccount": (
        "",
        "",
        "`account` lacks `neededRole` for the function called",
    ),
    "AccessControlBadConfirmation": ("", "", "`renounceRole` not confirmed by the sender"),
}
# The functions of OpenZeppelin's IAccessControl.
_ACCESS_CONTROL: Final = ("hasRole", "getRoleAdmin", "grantRole", "revokeRole", "renounceRole")
_KIND_ORDER: Final = {"function": 0, "event": 1, "error": 2}


def load_abi(path: Path = ARTIFACT) -> list[dict[str, Any]]:
    """The compiled contract's ABI entries."""
    abi: list[dict[str, Any]] = json.loads(path.read_text("utf-8"))["abi"]
    return abi


def canonical_type(param: Mapping[str, Any]) -> str:
    """The ABI type of a parameter as it appears in a signature (tuples spelt out)."""
    abi_type = str(param["type"])
    if abi_type.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in param["components"])
        return f"({inner}){abi_type[len('tuple') :]}"
    return abi_type


def signature(entry: Mapping[str, Any]) -> str:
    """``name(type1,type2,...)``: what the selector or topic 0 is the hash of."""
    types = ",".join(canonical_type(p) for p in entry.get("inputs", []))
    return f"{entry['name']}({types})"


def selector(entry: Mapping[str, Any]) -> str:
    """4-byte selector (function, error) or 32-byte topic 0 (event) as 0x-hex."""
    digest = keccak(signature(entry).encode("ascii"))
    return "0x" + (digest if entry["type"] == "event" else digest[:4]).hex()


def solidity(entry: Mapping[str, Any]) -> str:
    """The entry as Solidity declares it: parameter names, ``indexed``, ``view``, return types."""

    def param(p: Mapping[str, Any]) -> str:
        internal = str(p.get("internalType") or p["type"])
        if internal.startswith("struct "):
            internal = internal[len("struct ") :]
        parts = [internal, "indexed" if p.get("indexed") else "", str(p.get("name") or "")]
        return " ".join(x for x in parts if x)

    text = f"{entry['name']}({', '.join(param(p) for p in entry.get('inputs', []))})"
    if entry["type"] == "function":
        if entry.get("stateMutability") in ("view", "pure"):
            text += f" {entry['stateMutability']}"
        outputs = entry.get("outputs") or []
        if outputs:
            text += f" returns ({', '.join(param(p) for p in outputs)})"
    return f"{entry['type']} {text}"


def _bodies(source: str) -> dict[str, str]:
    """Each function of a Solidity source: its header and body, by name."""
    found: dict[str, str] = {}
    for match in re.finditer(r"\bfunction\s+(\w+)\s*\(", source):
        start = source.index("{", match.end())
        depth, end = 0, start
        for end in range(start, len(source)):
            depth += {"{": 1, "}": -1}.get(source[end], 0)
            if depth == 0:
                break
        found[match[1]] = source[match.start() : end + 1]
    return found


def roles_and_reverts(source: str) -> dict[str, tuple[list[str], list[str]]]:
    """For each function of ``source``: the roles it requires and the custom errors it reverts
    with, directly or through the private functions it calls (in order of appearance)."""
    bodies = _bodies(source)

    def reverts(name: str, seen: frozenset[str]) -> list[str]:
        body = bodies[name]
        out: list[str] = []
        for match in re.finditer(r"\brevert\s+(\w+)\s*\(|\b(_\w+)\s*\(", body):
            if match[1]:
                out.append(match[1])
            elif match[2] in bodies and match[2] not in seen and match[2] != name:
                out += reverts(match[2], seen | {name})
        return list(dict.fromkeys(out))

    return {
        name: (re.findall(r"\bonlyRole\((\w+)\)", body), reverts(name, frozenset()))
        for name, body in bodies.items()
    }


def notices(source: str) -> dict[str, str]:
    """The ``@notice`` text of every function, event and error declared in ``source``."""
    found: dict[str, str] = {}
    comment: list[str] = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("///"):
            comment.append(stripped[3:].strip())
            continue
        match = re.match(r"(?:function|event|error)\s+(\w+)", stripped)
        if match and comment:
            text = " ".join(comment)
            notice = re.search(r"@notice\s+(.*?)(?=\s@\w+|$)", text)
            if notice:
                found[match[1]] = notice[1].strip()
        comment = []
    return found


def interface_id(abi: Sequence[Mapping[str, Any]], names: set[str]) -> str:
    """ERC-165 id of an interface: the XOR of the selectors of its functions ``names``."""
    value = 0
    for entry in abi:
        if entry["type"] == "function" and entry["name"] in names:
            value ^= int(selector(entry), 16)
    return f"0x{value:08x}"


def interface_ids(abi: Sequence[Mapping[str, Any]], interface: str) -> dict[str, str]:
    """The ERC-165 ids ``supportsInterface`` answers true for."""
    return {
        "registry_id": interface_id(abi, set(re.findall(r"\bfunction\s+(\w+)\s*\(", interface))),
        "access_control_id": interface_id(abi, set(_ACCESS_CONTROL)),
        "erc165_id": interface_id(abi, {"supportsInterface"}),
    }


def rows(abi: Sequence[Mapping[str, Any]], contract: str, interface: str) -> list[list[str]]:
    """One table row per function, event and error of ``abi``."""
    access = roles_and_reverts(contract)
    meaning = notices(interface)
    out: list[tuple[tuple[int, str], list[str]]] = []
    for entry in abi:
        kind, name = entry["type"], entry.get("name", "")
        if kind not in _KIND_ORDER:
            continue  # the constructor has no selector
        if name in _INHERITED:
            who, reverts, what = _INHERITED[name]
            what = what.format(**interface_ids(abi, interface))
        elif kind == "function" and name.endswith("_ROLE"):  # public constant getters
            who, reverts, what = "anyone", "never", f'`keccak256("{name}")`'
        else:
            if name not in meaning:
                raise SystemExit(f"{name}: no @notice in {INTERFACE.name}")
            what = meaning[name]
            who, reverts = "", ""
            if kind == "function":
                roles, errors = access[name]
                view = entry.get("stateMutability") in ("view", "pure")
                who = "anyone" if view else ", ".join(f"`{r}`" for r in roles)
                if not view and not roles:
                    raise SystemExit(f"{name}: a state-changing function without onlyRole")
                if roles:
                    errors = ["AccessControlUnauthorizedAccount", *errors]
                reverts = ", ".join(f"`{e}`" for e in errors) or "never"
        row = [
            f"`{solidity(entry)}`",
            f"`{signature(entry)}`",
            f"`{selector(entry)}`",
            who or "—",
            reverts or "—",
            what,
        ]
        out.append(((_KIND_ORDER[kind], name), row))
    return [row for _, row in sorted(out, key=lambda item: item[0])]


def abi_table(
    abi: Sequence[Mapping[str, Any]] | None = None,
    contract: str | None = None,
    interface: str | None = None,
) -> list[str]:
    """The ``contract-abi`` table's lines."""
    body = rows(
        load_abi() if abi is None else abi,
        CONTRACT.read_text("utf-8") if contract is None else contract,
        INTERFACE.read_text("utf-8") if interface is None else interface,
    )
    return [
        "| declaration | signature | selector / topic 0 | who may call | reverts with | meaning |",
        "| --- | --- | --- | --- | --- | --- |",
        *("| " + " | ".join(r) + " |" for r in body),
    ]


def _reason_table(reasons: Mapping[int, Reason], zero: str | None) -> list[str]:
    lines = ["| code | name | meaning |", "| --- | --- | --- |"]
    if zero is not None:
        lines.append(f"| {NOT_REVOKED} | — | {zero} |")
    lines += [f"| {r.code} | `{r.name}` | {r.describe('en')} |" for r in reasons.values()]
    return lines


def revocation_table() -> list[str]:
    """The ``revocation-reasons`` table's lines (section 9.1)."""
    return _reason_table(REVOCATION_REASONS, "not revoked")


def withdrawal_table() -> list[str]:
    """The ``withdrawal-reasons`` table's lines (section 9.2)."""
    return _reason_table(WITHDRAWAL_REASONS, None)


def codes_table() -> list[str]:
    """The ``result-codes`` table's lines: every result code by number, with its name."""
    return [
        "| code | name |",
        "| --- | --- |",
        *(f"| {int(code)} | `{code.name}` |" for code in sorted(Code)),
    ]


#: Every generated table of PROTOCOL.md by marker name.
TABLES: Final = {
    "contract-abi": abi_table,
    "revocation-reasons": revocation_table,
    "withdrawal-reasons": withdrawal_table,
    "result-codes": codes_table,
}


def begin(name: str) -> str:
    """The marker line before the table ``name``."""
    return f"<!-- {name}:begin (generated by {GENERATOR}) -->"


def end(name: str) -> str:
    """The marker line after the table ``name``."""
    return f"<!-- {name}:end -->"


def block(name: str) -> str:
    """The table ``name`` with its markers, as it must stand in PROTOCOL.md."""
    return "\n".join([begin(name), *TABLES[name](), end(name)])


def current(text: str, name: str) -> str | None:
    """The table ``name`` as it stands in ``text`` (markers included), or None without markers."""
    start, stop = text.find(begin(name)), text.find(end(name))
    if start < 0 or stop < start:
        return None
    return text[start : stop + len(end(name))]


def main(argv: Sequence[str]) -> int:
    """Print the tables, or with ``--write`` put them into docs/PROTOCOL.md."""
    if "--write" not in argv:
        print("\n\n".join(block(name) for name in TABLES))
        return 0
    text = PROTOCOL.read_text("utf-8")
    for name in TABLES:
        old = current(text, name)
        if old is None:
            print(f"{PROTOCOL}: no {begin(name)!r} ... {end(name)!r} markers", file=sys.stderr)
            return 1
        text = text.replace(old, block(name))
    PROTOCOL.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
