"""Parse and validate a ``tanji-bundle/1`` into typed, frozen objects (docs/PROTOCOL.md, "Bundle").

Parsing is the ``format`` check: anything that is not a well-formed bundle raises
``BundleFormatError`` with a stable code and the offending field (as a path such as
``attestations[0].proof[3]``). Parsing does not judge whether the bundle is *true*: that is
the other checks' work.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from eth_abi import is_encodable_type

from verifier.errors import BundleFormatError
from verifier.protocol import wire
from verifier.protocol.canonical import canonicalize, check_numbers, read_float, read_int
from verifier.protocol.codes import Code
from verifier.protocol.merkle import HASH_BYTES, MAX_PROOF_LENGTH, leaf_hash
from verifier.protocol.records import (
    BUNDLE_FORMAT,
    MAX_BUNDLE_BYTES,
    MAX_DEPTH,
    MAX_JSON_DEPTH,
    MAX_LEAF_ARITY,
    MAX_NESTED,
    NESTED_RECORD_TYPES,
    REQUIRED_FIELDS,
    SALT_BYTES,
)

_ANCHOR_KEYS: Final = frozenset({"chainId", "contract", "txHash", "blockNumber", "timestamp"})
_DISCLOSURE_KEYS: Final = frozenset({"salts", "hidden"})
# Each nested list holds records of one type (NESTED_RECORD_TYPES; docs/PROTOCOL.md section 6,
# code 120): a recognition listed as a supply-chain hop, or a label listed as a recognition, would
# escape the checks of its kind and be counted as what it is not.
NESTED_KEYS: Final = tuple(NESTED_RECORD_TYPES)
STATUS_ANCHORED: Final = "anchored"
STATUS_PENDING: Final = "pending"


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where a bundle claims its root was anchored (a claim: checked against the trust file)."""

    chain_id: int
    contract: str  # lower-case 0x address
    tx_hash: bytes
    block_number: int
    timestamp: int | None


@dataclass(frozen=True, slots=True)
class Disclosure:
    """The selective disclosure of a redacted record: field salts shown, commitments of the rest."""

    salts: Mapping[str, bytes]
    hidden: Mapping[str, bytes]


@dataclass(frozen=True, slots=True)
class Bundle:
    """A parsed ``tanji-bundle/1``. ``leaf`` is the StandardMerkleTree hash of ``leaf_value``."""

    record: Mapping[str, Any]
    salt: bytes | None
    disclosure: Disclosure | None
    leaf_encoding: tuple[str, ...]
    leaf_value: tuple[Any, ...]
    leaf: bytes
    proof: tuple[bytes, ...]
    root: bytes | None
    anchor: Anchor | None
    status: str
    attestations: tuple[Bundle, ...] = field(default=())
    recognitions: tuple[Bundle, ...] = field(default=())

    @property
    def pending(self) -> bool:
        """True while the record waits for its batch to be anchored (no proof, root or anchor)."""
        return self.status == STATUS_PENDING

    def nested(self) -> Iterator[tuple[str, Bundle]]:
        """Directly nested bundles with their paths (``attestations[0]``, ``recognitions[1]``)."""
        for key in NESTED_KEYS:
            for index, child in enumerate(getattr(self, key)):
                yield f"{key}[{index}]", child


def load_json(data: bytes | str) -> Any:
    """Decode bundle bytes as strict JSON: bounded size, UTF-8, no duplicate keys, no NaN."""
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > MAX_BUNDLE_BYTES:
        raise BundleFormatError(
            f"bundle is {size} bytes, more than the limit of {MAX_BUNDLE_BYTES}",
            code=Code.FORMAT_TOO_LARGE,
        )
    try:
        _check_nesting(data)
        return json.loads(
            data,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_int=read_int,  # numbers are read by value (docs/PROTOCOL.md section 2)
            parse_float=read_float,
        )
    except BundleFormatError:
        raise
    except RecursionError as exc:
        raise BundleFormatError(
            "bundle JSON is nested too deeply", code=Code.FORMAT_TOO_DEEP
        ) from exc
    except (ValueError, TypeError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise BundleFormatError(f"bundle is not JSON: {exc}", code=Code.FORMAT_NOT_JSON) from exc


def parse_bundle(data: Mapping[str, Any] | bytes | str) -> Bundle:
    """Parse a bundle (a decoded JSON object, or its bytes/text) and its nested bundles."""
    obj = load_json(data) if isinstance(data, bytes | bytearray | str) else data
    try:
        check_numbers(obj)  # every number in the document, nested bundles included
    except RecursionError as exc:
        raise BundleFormatError("bundle nested too deeply", code=Code.FORMAT_TOO_DEEP) from exc
    return _parse(obj, "", 1, None)


def _parse(obj: Any, path: str, depth: int, record_type: str | None) -> Bundle:
    if depth > MAX_DEPTH:
        raise BundleFormatError(
            f"bundles nested more than {MAX_DEPTH} deep",
            field=path.rstrip(".") or None,
            code=Code.FORMAT_TOO_DEEP,
        )
    obj = wire.json_object(obj, path.rstrip("."))
    version = wire.member(obj, "format", path)
    if version != BUNDLE_FORMAT:
        raise BundleFormatError(
            f"unknown bundle format {version!r} (this verifier reads {BUNDLE_FORMAT})",
            field=path + "format",
            code=Code.FORMAT_UNKNOWN_VERSION,
        )
    record = _record(wire.member(obj, "record", path), path + "record")
    if record_type is not None and record["type"] != record_type:
        raise BundleFormatError(
            f"{path.rstrip('.')} holds a {record['type']!r} record; only {record_type!r} records"
            " may be nested there",
            field=path + "record.type",
            code=Code.FORMAT_WRONG_RECORD_TYPE,
        )
    salt, disclosure = _salts(obj, record, path)
    encoding, value, leaf = _leaf(obj, path)
    status, proof, root, anchor = _commitment(obj, path)

    nested: dict[str, tuple[Bundle, ...]] = {}
    for key in NESTED_KEYS:
        items = _bounded_list(obj, key, path, MAX_NESTED) if key in obj else []
        nested[key] = tuple(
            _parse(item, f"{path}{key}[{i}].", depth + 1, NESTED_RECORD_TYPES[key])
            for i, item in enumerate(items)
        )
    return Bundle(
        record=MappingProxyType(record),
        salt=salt,
        disclosure=disclosure,
        leaf_encoding=encoding,
        leaf_value=value,
        leaf=leaf,
        proof=proof,
        root=root,
        anchor=anchor,
        status=status,
        attestations=nested["attestations"],
        recognitions=nested["recognitions"],
    )


def _leaf(obj: dict[str, Any], path: str) -> tuple[tuple[str, ...], tuple[Any, ...], bytes]:
    """``leafEncoding``, ``leafValue`` and the leaf hash they give."""
    encoding = tuple(
        wire.text(t, f"{path}leafEncoding[{i}]")
        for i, t in enumerate(_bounded_list(obj, "leafEncoding", path, MAX_LEAF_ARITY))
    )
    value = tuple(wire.json_list(wire.member(obj, "leafValue", path), path + "leafValue"))
    if len(value) != len(encoding) or not encoding:
        raise BundleFormatError(
            "leafValue must have one value per leafEncoding type",
            field=path + "leafValue",
            code=Code.FORMAT_WRONG_LENGTH,
        )
    for i, item in enumerate(value):
        if not isinstance(item, str | int) or isinstance(item, bool):
            raise BundleFormatError(
                "leafValue items must be strings or integers",
                field=f"{path}leafValue[{i}]",
                code=Code.FORMAT_WRONG_TYPE,
            )
    for i, abi_type in enumerate(encoding):
        if not is_encodable_type(abi_type):
            raise BundleFormatError(
                f"{abi_type!r} is not an ABI type",
                field=f"{path}leafEncoding[{i}]",
                code=Code.FORMAT_BAD_VALUE,
            )
    try:
        leaf = leaf_hash(encoding, value)
    except BundleFormatError as exc:
        raise BundleFormatError(
            str(exc), field=path + "leafValue", code=Code.FORMAT_BAD_VALUE
        ) from exc
    except Exception as exc:  # eth-abi rejects unknown type names with assorted exception types
        raise BundleFormatError(
            f"leafEncoding is not an ABI encoding: {exc}",
            field=path + "leafEncoding",
            code=Code.FORMAT_BAD_VALUE,
        ) from exc
    return encoding, value, leaf


def _commitment(
    obj: dict[str, Any], path: str
) -> tuple[str, tuple[bytes, ...], bytes | None, Anchor | None]:
    """``status`` and, once anchored, ``proof``, ``root`` and ``anchor`` (none while pending)."""
    status = obj.get("status", STATUS_ANCHORED)
    if status not in (STATUS_ANCHORED, STATUS_PENDING):
        raise BundleFormatError(
            f"status must be {STATUS_ANCHORED!r} or {STATUS_PENDING!r}",
            field=path + "status",
            code=Code.FORMAT_BAD_VALUE,
        )
    if status == STATUS_PENDING:
        for name in ("proof", "root", "anchor"):
            if obj.get(name) is not None:
                raise BundleFormatError(
                    f"a pending bundle has no {name}",
                    field=path + name,
                    code=Code.FORMAT_PENDING_INCONSISTENT,
                )
        proof: tuple[bytes, ...] = ()
        root = None
        anchor = None
    else:
        proof = tuple(
            wire.hex_bytes(p, f"{path}proof[{i}]", HASH_BYTES)
            for i, p in enumerate(_bounded_list(obj, "proof", path, MAX_PROOF_LENGTH))
        )
        root = wire.hex_bytes(wire.member(obj, "root", path), path + "root", HASH_BYTES)
        anchor = _anchor(wire.member(obj, "anchor", path), path + "anchor.")
    return status, proof, root, anchor


def _record(value: Any, field: str) -> dict[str, Any]:
    record = wire.json_object(value, field)
    for name in REQUIRED_FIELDS:
        wire.text(wire.member(record, name, field + "."), f"{field}.{name}")
    try:
        canonicalize(record)
    except BundleFormatError as exc:
        raise BundleFormatError(str(exc), field=field, code=Code.FORMAT_NOT_CANONICAL) from exc
    except RecursionError as exc:
        raise BundleFormatError(
            "record nested too deeply", field=field, code=Code.FORMAT_TOO_DEEP
        ) from exc
    return record


def _salts(
    obj: dict[str, Any], record: dict[str, Any], path: str
) -> tuple[bytes | None, Disclosure | None]:
    has_salt, has_disclosure = obj.get("salt") is not None, obj.get("disclosure") is not None
    if has_salt and has_disclosure:
        raise BundleFormatError(
            "a bundle carries either the master salt or a disclosure, never both",
            field=path + "disclosure",
            code=Code.FORMAT_SALT_AND_DISCLOSURE,
        )
    if not has_disclosure:
        return wire.hex_bytes(wire.member(obj, "salt", path), path + "salt", SALT_BYTES), None
    where = path + "disclosure"
    disclosure = wire.json_object(obj["disclosure"], where)
    _only(disclosure, _DISCLOSURE_KEYS, where + ".")
    salts_obj = wire.json_object(wire.member(disclosure, "salts", where + "."), where + ".salts")
    hidden_obj = wire.json_object(disclosure.get("hidden", {}), where + ".hidden")
    salts = {k: wire.hex_bytes(v, f"{where}.salts.{k}", SALT_BYTES) for k, v in salts_obj.items()}
    hidden = {
        k: wire.hex_bytes(v, f"{where}.hidden.{k}", HASH_BYTES) for k, v in hidden_obj.items()
    }
    for name in record:
        if name in hidden:
            raise BundleFormatError(
                f"field {name!r} is both disclosed and hidden",
                field=f"{where}.hidden.{name}",
                code=Code.FORMAT_DISCLOSED_AND_HIDDEN,
            )
        if name not in salts:
            raise BundleFormatError(
                f"disclosed field {name!r} has no salt",
                field=f"{where}.salts.{name}",
                code=Code.FORMAT_DISCLOSED_WITHOUT_SALT,
            )
    for name in salts:
        if name not in record:
            raise BundleFormatError(
                f"salt given for {name!r}, which the record does not disclose",
                field=f"{where}.salts.{name}",
                code=Code.FORMAT_SALT_WITHOUT_FIELD,
            )
    return None, Disclosure(salts=MappingProxyType(salts), hidden=MappingProxyType(hidden))


def _anchor(value: Any, path: str) -> Anchor:
    obj = wire.json_object(value, path.rstrip("."))
    _only(obj, _ANCHOR_KEYS, path)
    timestamp = obj.get("timestamp")
    return Anchor(
        chain_id=wire.uint(wire.member(obj, "chainId", path), path + "chainId", minimum=1),
        contract=wire.address(wire.member(obj, "contract", path), path + "contract"),
        tx_hash=wire.hex_bytes(wire.member(obj, "txHash", path), path + "txHash", HASH_BYTES),
        block_number=wire.uint(
            wire.member(obj, "blockNumber", path), path + "blockNumber", minimum=1
        ),
        timestamp=None if timestamp is None else wire.uint(timestamp, path + "timestamp"),
    )


def _only(obj: dict[str, Any], allowed: frozenset[str], path: str) -> None:
    # The anchor and the disclosure have fixed members: a misspelt one must not pass silently.
    for key in obj:
        if key not in allowed:
            raise BundleFormatError(
                f"unknown member {path + key}", field=path + key, code=Code.FORMAT_UNKNOWN_FIELD
            )


def _bounded_list(obj: dict[str, Any], name: str, path: str, limit: int) -> list[Any]:
    items = wire.json_list(wire.member(obj, name, path), path + name)
    if len(items) > limit:
        code = Code.FORMAT_PROOF_TOO_LONG if name == "proof" else Code.FORMAT_TOO_MANY
        raise BundleFormatError(
            f"{path + name} has more than {limit} items", field=path + name, code=code
        )
    return items


def _check_nesting(data: bytes | bytearray | str) -> None:
    # CPython's C JSON scanner can crash the interpreter after hitting the recursion limit on
    # hostile input ("[[[[..."), so depth is bounded before json.loads ever sees it.
    if wire.json_depth_exceeds(data, MAX_JSON_DEPTH):
        raise BundleFormatError(
            f"bundle JSON is nested more than {MAX_JSON_DEPTH} deep", code=Code.FORMAT_TOO_DEEP
        )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two parsers that keep different copies of a duplicated key would see two different bundles.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise BundleFormatError(
                    f"duplicate JSON key {key!r}", field=key, code=Code.FORMAT_DUPLICATE_KEY
                )
            seen.add(key)
    return obj


def _no_constant(name: str) -> Any:
    raise BundleFormatError(f"{name} is not JSON", code=Code.FORMAT_NOT_JSON)
