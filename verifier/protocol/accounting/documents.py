"""Reading an accounting document (JSON or YAML) into plain JSON values, and its digest.

YAML is read by a loader that can only produce what JSON can, the same way for every input:
strings, integers (``-?(0|[1-9][0-9]*)``), ``true``/``false``, ``null``, lists and mappings with
string keys. It has no floats and no timestamps, so an unquoted ``0.42`` or ``2026-12-01`` stays
the string it is written as; a YAML inventory and its JSON twin (decimals as strings) are the same
document and have the same digest. Duplicate keys and aliases (``*ref``) are refused in both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

import yaml

from verifier.errors import BundleFormatError
from verifier.protocol.accounting.errors import AccountingError, Issue
from verifier.protocol.canonical import canonicalize, read_int
from verifier.protocol.hashing import keccak

__all__ = ["MAX_DOCUMENT_BYTES", "document_digest", "load_document", "validated_digest"]

#: Largest document accepted (a 20,000-line inventory is a few megabytes).
MAX_DOCUMENT_BYTES: Final = 32 * 1024 * 1024

# Resolvers match a prefix: each pattern is anchored at the end (\Z).
_INT: Final = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")


def _refuse(code: str, message: str, path: str = "", **details: Any) -> AccountingError:
    return AccountingError([Issue(code, path, message, details)])


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


_Base: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):
    """A YAML loader for JSON values only (see the module docstring)."""

    yaml_implicit_resolvers: Final[dict[Any, Any]] = {}

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        if node in self.constructed_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "aliases (*ref) are not accepted", node.start_mark
            )
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise yaml.constructor.ConstructorError(
                    None, None, f"keys are strings, not {key!r}", key_node.start_mark
                )
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
            del self.constructed_objects[key_node]  # constructed again below, not an alias
        return super().construct_mapping(node, deep=deep)


_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"(?:true|false)\Z"), list("tf"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"(?:~|null|)\Z"), ["~", "n", ""]
)


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_document(data: bytes | str, *, yaml_allowed: bool = True) -> Any:
    """Read a JSON document, or a YAML one when ``yaml_allowed`` and it is not JSON.

    JSON is recognised by its first character (``{`` or ``[``); numbers are read as the
    protocol reads them (an integer as its value, a fraction as its double: refused later where a
    decimal string is due). Raises :class:`AccountingError` (``too_large``, ``not_json``,
    ``not_yaml``, ``duplicate_key``).
    """
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _refuse("too_large", f"a document is at most {MAX_DOCUMENT_BYTES} bytes")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _refuse("not_json", f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    else:
        text = data.removeprefix("\ufeff")
    if text.lstrip()[:1] in ("{", "[") or not yaml_allowed:
        try:
            return json.loads(
                text,
                object_pairs_hook=_json_pairs,
                parse_int=read_int,
                parse_constant=_json_constant,
            )
        except _DuplicateKey as exc:
            raise _refuse(
                "duplicate_key", f"the key {exc.key!r} appears twice", key=exc.key
            ) from None
        except (ValueError, RecursionError) as exc:
            raise _refuse("not_json", f"not JSON: {exc}") from None
    try:
        return yaml.load(text, Loader=_Loader)
    except _DuplicateKey as exc:
        raise _refuse("duplicate_key", f"the key {exc.key!r} appears twice", key=exc.key) from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise _refuse("not_yaml", f"not YAML: {exc}") from None


def validated_digest(document: Mapping[str, Any]) -> str:
    """:func:`document_digest` of a document the parsers have accepted, computed faster.

    An accepted document holds only ASCII member names from the formats' fixed sets, strings
    without control characters, integers below 2**53, booleans and nulls: for such values the
    RFC 8785 form is exactly ``json.dumps`` with sorted keys, no spaces and no ASCII escaping
    (tests/verifier/accounting/test_documents.py holds the two equal).
    """
    try:
        text = json.dumps(
            document, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
        )
    except (TypeError, ValueError):  # not plain dicts and lists: the general path
        return document_digest(document)
    return "0x" + keccak(text.encode("utf-8")).hex()


def document_digest(document: Mapping[str, Any]) -> str:
    """``0x`` + hex of keccak256(JCS(document)) (RFC 8785), the digest an inventory or a factor
    dataset version is named by."""
    try:
        return "0x" + keccak(canonicalize(document)).hex()
    except BundleFormatError as exc:
        raise _refuse("bad_number", str(exc), exc.field or "") from None
