"""EIP-712 typed data for Tanji's signed statements: the domain, hashing, recovery, field readers.

Every signed statement (supplier attestation, recognition, withdrawal) uses one domain::

    EIP712Domain(string name, string version, uint256 chainId, address verifyingContract)
    name = "Tanji", version = "1", chainId = the anchoring chain,
    verifyingContract = the anchor contract

Binding the anchor contract and chain means a signature made for one deployment cannot be replayed
into another. ``hashStruct`` is computed by one encoder derived from each struct's definition
(:class:`StructType`: type string and typeHash once, one compiled encoder per member), which the
registry's bulk intake uses too; tests hold it equal to eth-account's ``encode_typed_data`` and
ethers' ``TypedDataEncoder``. Recovery goes through libsecp256k1
(:mod:`verifier.protocol.signature`).

The readers below validate one JSON member of a message each and raise
:class:`~verifier.errors.AttestationError` with a stable ``code`` and the member's path.
"""

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from typing import Any, Final

from eth_utils import is_checksum_address
from sha3 import keccak_256  # direct on the hot path (verifier.protocol.hashing wraps it)

from verifier.errors import AttestationError, BundleFormatError
from verifier.protocol.canonical import NUMBER_LIMIT, canonicalize
from verifier.protocol.hashing import keccak
from verifier.protocol.signature import checksum_address, recover_address, signature_bytes
from verifier.protocol.text import hidden_character

DOMAIN_NAME: Final = "Tanji"
DOMAIN_VERSION: Final = "1"
EIP712_DOMAIN_TYPE: Final[list[dict[str, str]]] = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
# Integers in messages travel as JSON numbers; above 2^53 - 1 JavaScript and RFC 8785 lose them.
MAX_JSON_INT: Final = NUMBER_LIMIT - 1
MAX_TEXT: Final = 256

_HEX: Final = re.compile(r"0x[0-9a-fA-F]*")
# Canonical decimal: no sign on zero, no "+", no exponent, no leading zeros, no trailing
# fractional zeros; at most 18 integer and 12 fractional digits. One value, one spelling.
_DECIMAL: Final = re.compile(r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{0,11}[1-9])?")


def domain(*, chain_id: int, contract: str) -> dict[str, Any]:
    """The EIP-712 domain of a Tanji deployment (validated; the contract address checksummed)."""
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": read_uint(chain_id, "domain.chainId", minimum=1),
        "verifyingContract": read_address(contract, "domain.verifyingContract"),
    }


def typed_data(
    primary_type: str,
    struct: Sequence[Mapping[str, str]],
    message: Mapping[str, Any],
    *,
    chain_id: int,
    contract: str,
) -> dict[str, Any]:
    """Full EIP-712 JSON: ``types`` (with ``EIP712Domain``), ``primaryType``, ``domain``, message.

    This is what ``eth_signTypedData_v4`` and ethers' ``signTypedData`` take (ethers wants
    ``types`` without ``EIP712Domain``).
    """
    return {
        "types": {
            "EIP712Domain": [dict(member) for member in EIP712_DOMAIN_TYPE],
            primary_type: [dict(member) for member in struct],
        },
        "primaryType": primary_type,
        "domain": domain(chain_id=chain_id, contract=contract),
        "message": dict(message),
    }


def signing_description(
    primary_type: str,
    struct: Sequence[Mapping[str, str]],
    *,
    chain_id: int,
    contract: str,
    message: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What a signer needs, in both forms wallets and libraries take.

    ``domain``, ``types`` and ``primaryType`` go unchanged into ethers v6
    ``Wallet.signTypedData(domain, types, message)`` (and eth-account's ``sign_typed_data``):
    ``types`` holds only ``primary_type``'s struct, since ethers derives the domain type itself
    and refuses ``EIP712Domain`` among the types. ``wallet`` is the full ``eth_signTypedData_v4``
    document, ``EIP712Domain`` included (MetaMask, eth-sig-util's ``signTypedData`` V4). With
    ``message`` (already validated), both carry it; either form signed is accepted.
    """
    full = typed_data(primary_type, struct, message or {}, chain_id=chain_id, contract=contract)
    if message is None:
        del full["message"]
    description: dict[str, Any] = {
        "domain": dict(full["domain"]),
        "types": {primary_type: [dict(member) for member in struct]},
        "primaryType": primary_type,
    }
    if message is not None:
        description["message"] = full["message"]
    description["wallet"] = full
    return description


# --- hashStruct, compiled once per struct definition -----------------------------------------

# A struct definition: its members in order, each {"name": ..., "type": ...}.
Members = Sequence[Mapping[str, str]]
# One member's encoder: its value to the 32 bytes ``encodeData`` puts in the struct's hash input.
_Encoder = Callable[[Any], bytes]

_ATOMIC_INT: Final = re.compile(r"(u?)int([0-9]{0,3})")
_FIXED_BYTES: Final = re.compile(r"bytes([0-9]{1,2})")
_ARRAY: Final = re.compile(r"(.+)\[([0-9]*)\]")
_ZEROS: Final = bytes(32)
_ADDRESS_PAD: Final = bytes(12)
_EMPTY_HASH: Final = keccak(b"")  # an empty string, bytes or array: hashed once, here
_TRUE: Final = (1).to_bytes(32, "big")
# What a value its type cannot hold raises in an encoder (RecursionError: a message nested deeper
# than Python's stack, which only a self-referencing type allows).
_ENCODING_ERRORS: Final = (
    KeyError,
    TypeError,
    ValueError,
    OverflowError,
    AttributeError,
    RecursionError,
)


def _hex_or_bytes(value: Any, size: int | None) -> bytes:
    """``0x``-hex text or bytes, of exactly ``size`` bytes when a size is given."""
    if isinstance(value, bytes | bytearray):
        raw = bytes(value)
    elif isinstance(value, str) and value[:2] in ("0x", "0X"):
        raw = bytes.fromhex(value[2:])
        if len(value) != 2 + 2 * len(raw):  # fromhex skips spaces between pairs
            raise ValueError(f"{value!r} is not 0x-prefixed hex")
    else:
        raise TypeError(f"{value!r} is neither 0x-hex nor bytes")
    if size is not None and len(raw) != size:
        raise ValueError(f"{value!r} is not {size} bytes")
    return raw


def _address(value: Any) -> bytes:
    # The fast case first: a normal-form message's address is 0x + 40 hex digits.
    if value.__class__ is str and len(value) == 42 and value[:2] == "0x":
        raw = bytes.fromhex(value[2:])
        if len(raw) == 20:
            return _ADDRESS_PAD + raw
    return _ADDRESS_PAD + _hex_or_bytes(value, 20)


def _bytes32(value: Any) -> bytes:
    if value.__class__ is str and len(value) == 66 and value[:2] == "0x":
        raw = bytes.fromhex(value[2:])
        if len(raw) == 32:
            return raw
    return _hex_or_bytes(value, 32)


def _string(value: Any) -> bytes:
    if value.__class__ is not str:
        raise TypeError(f"{value!r} is not a string")
    if not value:
        return _EMPTY_HASH
    digest: bytes = keccak_256(value.encode()).digest()
    return digest


def _dynamic_bytes(value: Any) -> bytes:
    raw = _hex_or_bytes(value, None)
    return keccak(raw) if raw else _EMPTY_HASH


def _bool(value: Any) -> bytes:
    if value is True:
        return _TRUE
    if value is False:
        return _ZEROS
    raise TypeError(f"{value!r} is not a boolean")


def _uint_encoder(bits: int) -> _Encoder:
    size = bits // 8
    pad = _ZEROS[: 32 - size]

    def encode(value: Any) -> bytes:
        if value.__class__ is bool:
            raise TypeError("a boolean is not an integer")
        # TypeError if not an int, OverflowError below 0 or above 2**bits - 1.
        return pad + int.to_bytes(value, size, "big")

    return encode


def _int_encoder(bits: int) -> _Encoder:
    low, high = -(1 << (bits - 1)), 1 << (bits - 1)

    def encode(value: Any) -> bytes:
        if value.__class__ is bool or not low <= value < high:
            raise OverflowError(f"{value!r} is not an int{bits}")
        return int.to_bytes(value, 32, "big", signed=True)

    return encode


def _fixed_bytes_encoder(size: int) -> _Encoder:
    pad = _ZEROS[size:]

    def encode(value: Any) -> bytes:
        return _hex_or_bytes(value, size) + pad

    return encode


def _array_encoder(element: _Encoder, length: int | None) -> _Encoder:
    def encode(value: Any) -> bytes:
        if not isinstance(value, list | tuple):
            raise TypeError(f"{value!r} is not an array")
        if length is not None and len(value) != length:
            raise ValueError(f"the array has {len(value)} elements, not {length}")
        if not value:
            return _EMPTY_HASH
        digest: bytes = keccak_256(b"".join([element(item) for item in value])).digest()
        return digest

    return encode


_ATOMIC: Final[dict[str, _Encoder]] = {
    "address": _address,
    "bytes32": _bytes32,
    "string": _string,
    "bytes": _dynamic_bytes,
    "bool": _bool,
}


def _atomic_encoder(type_: str) -> _Encoder | None:
    """The encoder of an elementary type (``uint64``, ``bytes4``, ``string``), or None."""
    if type_ in _ATOMIC:
        return _ATOMIC[type_]
    integer = _ATOMIC_INT.fullmatch(type_)
    if integer is not None:
        bits = int(integer[2] or 256)
        if bits % 8 or not 8 <= bits <= 256:
            return None
        return _uint_encoder(bits) if integer[1] else _int_encoder(bits)
    fixed = _FIXED_BYTES.fullmatch(type_)
    if fixed is not None and 1 <= int(fixed[1]) <= 32:
        return _fixed_bytes_encoder(int(fixed[1]))
    return None


def _referenced_structs(name: str, types: Mapping[str, Members], found: set[str]) -> None:
    """Add ``name`` and every struct type its members use, transitively, to ``found``."""
    if name in found:
        return
    found.add(name)
    for member in types[name]:
        base = member["type"].split("[", 1)[0]
        if base in types:
            _referenced_structs(base, types, found)


def encode_type(name: str, types: Mapping[str, Members]) -> str:
    """EIP-712 ``encodeType``: ``Name(type member,…)``, then referenced structs by name."""
    found: set[str] = set()
    _referenced_structs(name, types, found)
    found.discard(name)
    return "".join(
        struct + "(" + ",".join(m["type"] + " " + m["name"] for m in types[struct]) + ")"
        for struct in (name, *sorted(found))
    )


_StructHash = Callable[[Mapping[str, Any]], bytes]


def _compile_hash(type_hash: bytes, members: Sequence[tuple[str, _Encoder]]) -> _StructHash:
    """``hashStruct`` of one struct as a straight-line function, generated once.

    One expression per member, in order: a string member is hashed inline (``str.encode`` refuses
    anything but a string), any other calls its encoder. About 10% faster than a loop over the
    members, which matters to bulk intake (bench/eip712_struct_hash.py). The source names
    nothing from the definition: member names and encoders are bound as ``n0``, ``e0``, ..., so a
    type from untrusted typed data cannot inject code.
    """
    namespace: dict[str, Any] = {"keccak_256": keccak_256, "text": str.encode, "th": type_hash}
    words = []
    for i, (name, encode) in enumerate(members):
        namespace[f"n{i}"], namespace[f"e{i}"] = name, encode
        words.append(
            f"keccak_256(text(m[n{i}])).digest()" if encode is _string else f"e{i}(m[n{i}])"
        )
    source = (
        f"def hash_struct(m):\n    return keccak_256(b''.join((th, {', '.join(words)}))).digest()"
    )
    exec(source, namespace)
    compiled: _StructHash = namespace["hash_struct"]
    return compiled


class StructType:
    """One EIP-712 struct type, compiled once from its definition.

    The type string (``encodeType``) and ``typeHash`` are computed here, and each member gets an
    encoder for its type (atomic, dynamic, array or another struct). ``hash(message)`` is then
    ``hashStruct(message)`` = ``keccak256(typeHash ‖ encodeData(message))``, one generated
    function with no per-member dispatch. Members beyond the definition are ignored, as EIP-712
    does; a missing member or a value its type cannot hold raises ``KeyError``, ``TypeError``,
    ``ValueError``, ``OverflowError`` or ``AttributeError`` (:func:`typed_data_digest` turns them
    into ``bad_typed_data``). Build one with :func:`struct_type`, which caches it.
    """

    __slots__ = ("encode_type", "hash", "name", "type_hash")

    def __init__(
        self, name: str, types: Mapping[str, Members], compiled: dict[str, "StructType"]
    ) -> None:
        if name not in types:
            raise AttestationError(
                f"no definition of struct type {name!r}", code="bad_typed_data", field="types"
            )
        compiled[name] = self  # before the members: a struct may refer to itself through an array
        self.name = name
        self.encode_type = encode_type(name, types)
        self.type_hash = keccak(self.encode_type.encode())
        members = [(m["name"], self._encoder(m["type"], types, compiled)) for m in types[name]]
        self.hash: _StructHash = _compile_hash(self.type_hash, members)

    @classmethod
    def _encoder(
        cls, type_: str, types: Mapping[str, Members], compiled: dict[str, "StructType"]
    ) -> _Encoder:
        array = _ARRAY.fullmatch(type_)
        if array is not None:
            element = cls._encoder(array[1], types, compiled)
            return _array_encoder(element, int(array[2]) if array[2] else None)
        if type_ in types:
            nested = compiled.get(type_) or cls(type_, types, compiled)
            return lambda value: nested.hash(value)  # late: a recursive type is still compiling
        atomic = _atomic_encoder(type_)
        if atomic is None:
            raise AttestationError(
                f"unknown EIP-712 type {type_!r}", code="bad_typed_data", field="types"
            )
        return atomic


def _frozen(types: Mapping[str, Members]) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    return tuple(
        sorted(
            (name, tuple((m["name"], m["type"]) for m in members))
            for name, members in types.items()
        )
    )


@lru_cache(maxsize=256)
def _compiled(name: str, frozen: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]) -> StructType:
    types = {struct: [{"name": n, "type": t} for n, t in members] for struct, members in frozen}
    return StructType(name, types, {})


def struct_type(name: str, types: Mapping[str, Members]) -> StructType:
    """The compiled struct type ``name`` of ``types`` (struct name → members); cached."""
    return _compiled(name, _frozen(types))


def eip712_digest(separator: bytes, struct_hash: bytes) -> bytes:
    """``keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message))``, what a signer signs."""
    digest: bytes = keccak_256(b"\x19\x01" + separator + struct_hash).digest()
    return digest


DOMAIN_TYPE: Final = struct_type("EIP712Domain", {"EIP712Domain": EIP712_DOMAIN_TYPE})


@lru_cache(maxsize=64)
def domain_separator(chain_id: int, contract: str) -> bytes:
    """``hashStruct(EIP712Domain)`` of a Tanji deployment (validated as :func:`domain`)."""
    return DOMAIN_TYPE.hash(domain(chain_id=chain_id, contract=contract))


# The domain members in the order wallets imply them when ``types`` leaves EIP712Domain out.
_IMPLIED_DOMAIN: Final = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
    ("salt", "bytes32"),
)


def typed_data_digest(data: Mapping[str, Any]) -> bytes:
    """The 32-byte EIP-712 hash ``keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message))``.

    Any typed data (nested structs, arrays); without an ``EIP712Domain`` type, the domain's type is
    implied by its members, as ethers and eth-account do. What cannot be encoded is a coded
    :class:`~verifier.errors.AttestationError` (``bad_typed_data``).
    """
    try:
        types = data["types"]
        if "EIP712Domain" not in types:
            implied = [{"name": n, "type": t} for n, t in _IMPLIED_DOMAIN if n in data["domain"]]
            types = {**types, "EIP712Domain": implied}
        separator = struct_type("EIP712Domain", types).hash(data["domain"])
        return eip712_digest(
            separator, struct_type(data["primaryType"], types).hash(data["message"])
        )
    except AttestationError:
        raise  # already coded (an unknown type)
    except _ENCODING_ERRORS as exc:
        raise AttestationError(
            f"typed data cannot be encoded: {exc!r}", code="bad_typed_data", field="typedData"
        ) from exc


def recover_typed_data_signer(data: Mapping[str, Any], signature: bytes | str) -> str:
    """The EIP-55 address that signed ``data`` (a 65-byte signature or its 0x-hex)."""
    raw = signature_bytes(signature) if isinstance(signature, str) else signature
    return recover_address(typed_data_digest(data), raw)


def check_envelope(
    data: Any, primary_type: str, struct: Sequence[Mapping[str, str]]
) -> tuple[int, str, Mapping[str, Any]]:
    """Check that ``data`` is Tanji typed data of ``primary_type`` with exactly our definitions.

    A signer's wallet hashes whatever types it is given, so a document that renames or reorders a
    member would produce a valid signature over a different struct; only our definitions count.
    Returns ``(chain_id, contract, message)``.
    """
    if not isinstance(data, Mapping):
        raise AttestationError(
            "typed data must be a JSON object", code="wrong_type", field="typedData"
        )
    extra = set(data) - {"types", "primaryType", "domain", "message"}
    if extra:
        raise AttestationError(
            f"unknown typed-data member {sorted(extra)[0]!r}",
            code="unknown_field",
            field=sorted(extra)[0],
        )
    if data.get("primaryType") != primary_type:
        raise AttestationError(
            f"primaryType must be {primary_type!r}", code="wrong_primary_type", field="primaryType"
        )
    expected_types = {"EIP712Domain": list(EIP712_DOMAIN_TYPE), primary_type: list(struct)}
    types = data.get("types")
    if isinstance(types, Mapping) and "EIP712Domain" not in types:
        # ethers' form: the domain type is implied by the domain, which is checked below.
        types = {"EIP712Domain": list(EIP712_DOMAIN_TYPE), **types}
    if types != expected_types:
        raise AttestationError(
            f"types must be exactly Tanji's {primary_type} and EIP712Domain definitions",
            code="wrong_types",
            field="types",
        )
    dom = data.get("domain")
    if not isinstance(dom, Mapping):
        raise AttestationError("domain must be an object", code="missing_field", field="domain")
    if set(dom) != {"name", "version", "chainId", "verifyingContract"}:
        raise AttestationError(
            "domain must have exactly name, version, chainId, verifyingContract",
            code="wrong_domain",
            field="domain",
        )
    if dom["name"] != DOMAIN_NAME or dom["version"] != DOMAIN_VERSION:
        raise AttestationError(
            f'domain must be name "{DOMAIN_NAME}", version "{DOMAIN_VERSION}"',
            code="wrong_domain",
            field="domain.name",
        )
    chain_id = read_uint(dom["chainId"], "domain.chainId", minimum=1)
    contract = read_address(dom["verifyingContract"], "domain.verifyingContract")
    message = data.get("message")
    if not isinstance(message, Mapping):
        raise AttestationError("message must be an object", code="missing_field", field="message")
    return chain_id, contract, message


def check_members(message: Mapping[str, Any], struct: Sequence[Mapping[str, str]]) -> None:
    """Every struct member present, nothing else (``missing_field`` / ``unknown_field``)."""
    if not isinstance(message, Mapping):
        raise AttestationError("message must be an object", code="wrong_type", field="message")
    names = [member["name"] for member in struct]
    for name in names:
        if name not in message:
            raise AttestationError(
                f"message has no {name!r}", code="missing_field", field=f"message.{name}"
            )
    for name in message:
        if name not in names:
            raise AttestationError(
                f"message member {name!r} is not part of the signed struct",
                code="unknown_field",
                field=f"message.{name}",
            )


# --- readers of single members -------------------------------------------------------------


def read_address(value: Any, field: str) -> str:
    """An address: 0x + 40 hex, one case or a valid EIP-55 checksum; returned checksummed."""
    if not isinstance(value, str) or _HEX.fullmatch(value) is None or len(value) != 42:
        raise AttestationError(
            f"{field} must be a 0x-prefixed 20-byte hex address", code="bad_address", field=field
        )
    body = value[2:]
    if body != body.lower() and body != body.upper() and not is_checksum_address(value):
        raise AttestationError(
            f"{field} has a wrong EIP-55 checksum", code="bad_checksum", field=field
        )
    return checksum_address(bytes.fromhex(body))


def read_bytes32(value: Any, field: str) -> str:
    """A 32-byte value as 0x + 64 hex digits; returned lower-case."""
    if not isinstance(value, str) or _HEX.fullmatch(value) is None or len(value) != 66:
        raise AttestationError(
            f"{field} must be 0x followed by 64 hex digits", code="bad_bytes32", field=field
        )
    return value.lower()


def read_uint(value: Any, field: str, *, minimum: int = 0, maximum: int = MAX_JSON_INT) -> int:
    """A JSON integer in ``[minimum, maximum]`` (booleans and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise AttestationError(f"{field} must be an integer", code="wrong_type", field=field)
    if not minimum <= value <= maximum:
        raise AttestationError(
            f"{field} must be between {minimum} and {maximum}", code="out_of_range", field=field
        )
    return value


def read_text(value: Any, field: str, *, allow_empty: bool = False, max_len: int = MAX_TEXT) -> str:
    """A string a wallet shows as signed: NFC, no control/format characters, no outer whitespace."""
    if not isinstance(value, str):
        raise AttestationError(f"{field} must be a string", code="wrong_type", field=field)
    if not value and not allow_empty:
        raise AttestationError(f"{field} must not be empty", code="empty", field=field)
    if len(value) > max_len:
        raise AttestationError(
            f"{field} is longer than {max_len} characters", code="too_long", field=field
        )
    # Control and format characters (verifier.protocol.text): a wallet would show other text than
    # signed.
    if value != value.strip() or hidden_character(value) is not None:
        raise AttestationError(
            f"{field} has control or format characters, or leading/trailing whitespace",
            code="bad_text",
            field=field,
        )
    if not unicodedata.is_normalized("NFC", value):
        # Composed and decomposed "é" look alike and hash apart: one text, one spelling.
        raise AttestationError(f"{field} is not in Unicode NFC", code="not_nfc", field=field)
    return value


def read_choice(value: Any, field: str, choices: Sequence[str]) -> str:
    """One string of a closed vocabulary."""
    if not isinstance(value, str) or value not in choices:
        raise AttestationError(
            f"{field} must be one of {', '.join(choices)}", code="bad_enum", field=field
        )
    return value


def read_decimal(value: Any, field: str) -> str:
    """A canonical decimal string (``"12.345"``, ``"-0.5"``, ``"0"``); see ``decimal_string``."""
    if not isinstance(value, str):
        raise AttestationError(
            f'{field} must be a decimal string such as "12.345"', code="wrong_type", field=field
        )
    if _DECIMAL.fullmatch(value) is None or value == "-0":
        raise AttestationError(
            f"{field} must be a canonical decimal (no exponent, no leading or trailing zeros, "
            "at most 18 integer and 12 fractional digits)",
            code="bad_decimal",
            field=field,
        )
    return value


def decimal_string(value: Decimal | int | str) -> str:
    """Spell a number as the canonical decimal string signed messages carry (``1.50`` → ``"1.5"``).

    Floats are refused: ``0.1`` has no exact binary value, and the string a caller means must be
    the one the signer saw.
    """
    if isinstance(value, bool | float):
        raise AttestationError(
            "pass a Decimal, int or str, not a float", code="wrong_type", field="value"
        )
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise AttestationError(
            f"{value!r} is not a number", code="bad_decimal", field="value"
        ) from None
    if not number.is_finite():
        raise AttestationError("value must be finite", code="bad_decimal", field="value")
    text = format(number.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return read_decimal(text, "value")


def read_bytes32_list(value: Any, field: str, *, max_items: int) -> list[str]:
    """A list of bytes32 in strictly ascending order (no duplicates; one order, one hash)."""
    if not isinstance(value, list):
        raise AttestationError(f"{field} must be a list", code="wrong_type", field=field)
    if len(value) > max_items:
        raise AttestationError(
            f"{field} has more than {max_items} entries", code="too_many", field=field
        )
    items = [read_bytes32(item, f"{field}[{i}]") for i, item in enumerate(value)]
    for i in range(1, len(items)):
        if items[i] <= items[i - 1]:
            raise AttestationError(
                f"{field} must be sorted ascending without duplicates",
                code="not_sorted",
                field=f"{field}[{i}]",
            )
    return items


# --- signed statements as Tanji records ------------------------------------------------------

# Members of a statement record; anything else is an unsigned, redactable annotation.
RECORD_MEMBERS: Final = (
    "type",
    "id",
    "chainId",
    "verifyingContract",
    "message",
    "signature",
    "signer",
)


@dataclass(frozen=True)
class StatementKind:
    """One kind of signed statement: its record type, EIP-712 struct and message validator."""

    record_type: str
    primary_type: str
    struct: tuple[Mapping[str, str], ...]
    # The message member naming who must have signed (``supplier``, ``recognizer``); ``None``
    # when the struct names no signer (``FactorDataset``: the caller compares the recovered
    # signer with the signed document's publisher).
    signer_member: str | None
    validate: Callable[[Mapping[str, Any]], dict[str, Any]]

    def typed_data(
        self, message: Mapping[str, Any], *, chain_id: int, contract: str
    ) -> dict[str, Any]:
        """Full EIP-712 JSON of a validated ``message``."""
        return typed_data(
            self.primary_type,
            self.struct,
            self.validate(message),
            chain_id=chain_id,
            contract=contract,
        )

    def signing_description(
        self, *, chain_id: int, contract: str, message: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """:func:`signing_description` of this kind (``message``, if given, validated first)."""
        return signing_description(
            self.primary_type,
            self.struct,
            chain_id=chain_id,
            contract=contract,
            message=None if message is None else self.validate(message),
        )

    @cached_property
    def eip712_struct(self) -> StructType:
        """The compiled struct type of :attr:`struct`."""
        return struct_type(self.primary_type, {self.primary_type: self.struct})

    def digest(self, message: Mapping[str, Any], *, chain_id: int, contract: str) -> bytes:
        """EIP-712 hash of ``message``, validated first."""
        return self.digest_of_normal(self.validate(message), chain_id=chain_id, contract=contract)

    def digest_of_normal(
        self, message: Mapping[str, Any], *, chain_id: int, contract: str
    ) -> bytes:
        """EIP-712 hash of a message already in normal form (what :attr:`validate` returned).

        Nothing is validated twice: the registry's bulk intake validates each message, then
        hashes it here.
        """
        return eip712_digest(domain_separator(chain_id, contract), self.eip712_struct.hash(message))

    def _parsed_digest(self, parsed: Mapping[str, Any]) -> bytes:
        """EIP-712 hash of typed data that :meth:`parse` (or :func:`typed_data`) rebuilt."""
        dom = parsed["domain"]
        return self.digest_of_normal(
            parsed["message"], chain_id=dom["chainId"], contract=dom["verifyingContract"]
        )

    def parse(self, data: Any) -> dict[str, Any]:
        """Check a whole typed-data document; return it rebuilt from our definitions."""
        chain_id, contract, message = check_envelope(data, self.primary_type, self.struct)
        return self.typed_data(message, chain_id=chain_id, contract=contract)

    def recover(self, data: Any, signature: bytes | str) -> str:
        """Address that signed the typed-data document ``data`` (not yet compared to anyone)."""
        raw = signature_bytes(signature) if isinstance(signature, str) else signature
        return recover_address(self._parsed_digest(self.parse(data)), raw)

    def verify(self, data: Any, signature: bytes | str) -> str:
        """Recover the signer and require it to be the message's own ``signer_member``."""
        parsed = self.parse(data)
        raw = signature_bytes(signature) if isinstance(signature, str) else signature
        signer = recover_address(self._parsed_digest(parsed), raw)
        if self.signer_member is None:
            return signer
        claimed = parsed["message"][self.signer_member]
        if signer != claimed:
            raise AttestationError(
                f"signed by {signer}, but message.{self.signer_member} is {claimed}",
                code="signer_mismatch",
                field=f"message.{self.signer_member}",
            )
        return signer

    def record(
        self,
        data: Any,
        signature: bytes | str,
        *,
        annotations: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The Tanji record of a signed statement (``verifier.protocol.leaf`` turns it into a leaf).

        ``id`` is the EIP-712 digest, so the same signed statement always has the same id.
        ``annotations`` are unsigned members (``supplierName``) that a bundle may redact.
        """
        parsed = self.parse(data)
        raw = signature_bytes(signature) if isinstance(signature, str) else bytes(signature)
        signer = self.verify(parsed, raw)
        record: dict[str, Any] = {
            "type": self.record_type,
            "id": "0x" + self._parsed_digest(parsed).hex(),
            "chainId": parsed["domain"]["chainId"],
            "verifyingContract": parsed["domain"]["verifyingContract"],
            "message": parsed["message"],
            "signature": "0x" + raw.hex(),
            "signer": signer,
        }
        for name, value in (annotations or {}).items():
            if name in RECORD_MEMBERS:
                raise AttestationError(
                    f"annotation {name!r} would overwrite a signed member",
                    code="reserved_field",
                    field=name,
                )
            try:
                canonicalize(value)  # refuse what JSON cannot carry canonically, now not later
            except BundleFormatError as exc:
                raise AttestationError(str(exc), code="not_canonical", field=name) from exc
            record[name] = value
        return record

    def verify_record(self, record: Any) -> str:
        """Re-check a record from scratch: digest = id, signature recovers to signer = claimed."""
        if not isinstance(record, Mapping):
            raise AttestationError("record must be an object", code="wrong_type", field="record")
        for name in RECORD_MEMBERS:
            if name not in record:
                raise AttestationError(
                    f"record has no {name!r}", code="missing_field", field=f"record.{name}"
                )
        if record["type"] != self.record_type:
            raise AttestationError(
                f"record type must be {self.record_type!r}",
                code="wrong_record_type",
                field="record.type",
            )
        parsed = typed_data(
            self.primary_type,
            self.struct,
            self.validate(record["message"]),
            chain_id=record["chainId"],
            contract=record["verifyingContract"],
        )
        if "0x" + self._parsed_digest(parsed).hex() != read_bytes32(record["id"], "record.id"):
            raise AttestationError(
                "record id is not the EIP-712 digest of its message",
                code="id_mismatch",
                field="record.id",
            )
        signer = self.verify(parsed, signature_bytes(record["signature"], "record.signature"))
        if read_address(record["signer"], "record.signer") != signer:
            raise AttestationError(
                f"record.signer is not the recovered signer {signer}",
                code="signer_mismatch",
                field="record.signer",
            )
        return signer
