"""Typed data to sign, served for each kind of signed statement (attestations, recognitions,
withdrawals): the one shape of :func:`verifier.protocol.eip712.signing_description`.

``domain``, ``types`` and ``primaryType`` go unchanged into ethers v6 ``Wallet.signTypedData``
(no ``EIP712Domain`` among the types); ``wallet`` is the full ``eth_signTypedData_v4`` document
for wallets. Given a message, both carry it, validated and in normal form.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from registry.errors import InvalidInputError
from registry.models.common import StrictInput
from verifier.errors import AttestationError
from verifier.protocol.eip712 import StatementKind


class TypedDataRequest(StrictInput):
    """Body of ``POST .../typed-data``: the message to sign."""

    message: dict[str, Any] = Field(description="the statement's message, as it will be signed")


def typed_data(
    kind: StatementKind,
    *,
    chain_id: int,
    contract: str,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``kind``'s signing description on this deployment; a bad ``message`` is a 422 naming
    the member (``message.<member>``)."""
    try:
        return kind.signing_description(chain_id=chain_id, contract=contract, message=message)
    except AttestationError as exc:
        field = exc.field or ""
        path = field if field.startswith("message") else f"message.{field}".rstrip(".")
        raise InvalidInputError(
            str(exc), code=exc.code or "invalid_statement", field=path
        ) from None
