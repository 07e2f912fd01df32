"""``/api/v1/attestations``: EIP-712 description, push (one or in bulk), read, bundle, revoke."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse

from registry.api.deps import CurrentOrg, SessionDep, permit, wake_anchoring
from registry.api.typed_data import TypedDataRequest, typed_data
from registry.crud import attestations as crud
from registry.errors import ChainSetupError, ConflictError, InvalidInputError
from registry.models.attestations import (
    AttestationItemResult,
    AttestationPublic,
    AttestationPush,
    AttestationRevoke,
    BulkAttestationResult,
    BulkAttestations,
)
from registry.models.common import utcnow
from registry.models.orgs import Organisation
from registry.permissions import Action
from registry.records import bundle_of, check_hidden, parse_hide
from verifier.protocol.attestation import ATTESTATION as ATTESTATION_KIND
from verifier.protocol.records import ATTESTATION

router = APIRouter(prefix="/api/v1/attestations", tags=["attestations"])

#: Pushing signed attestations (the console's in-browser signing checks the same action).
Signer = Annotated[Organisation, Depends(permit(Action.ATTESTATION_SIGN))]

#: Per-item codes the single push answers with 409 rather than 422 (state, not input).
_CONFLICT_CODES = frozenset({"replayed_nonce", "revoked_key", "upstream_revoked"})


def raise_item_error(result: AttestationItemResult) -> None:
    """Raise a refused item's error as the single push answers it (409 for a conflict of
    state, else 422); nothing for a stored or duplicate item. The console's push uses it too."""
    if result.status != "error":
        return
    assert result.error is not None
    error = ConflictError if result.error["code"] in _CONFLICT_CODES else InvalidInputError
    raise error(result.error["message"], code=result.error["code"], field=result.error["field"])


def deployment(request: Request) -> tuple[int, str]:
    """The chain id and anchor contract of this registry: the attestations' EIP-712 domain."""
    chain = getattr(request.app.state, "chain", None)
    if chain is None:
        raise ChainSetupError(
            "this registry process has no chain open, so its EIP-712 domain is unknown",
            code="no_chain",
        )
    return int(chain.chain_id), str(chain.address)


@router.get("/eip712")
def eip712(request: Request) -> dict[str, Any]:
    """Domain (name, version, chainId, verifyingContract), types and primary type to sign with,
    as ethers' ``signTypedData`` takes them; ``wallet``: the ``eth_signTypedData_v4`` form."""
    chain_id, contract = deployment(request)
    return crud.eip712_description(chain_id=chain_id, contract=contract)


@router.post("/typed-data")
def attestation_typed_data(body: TypedDataRequest, request: Request) -> dict[str, Any]:
    """The typed data of one attestation message, ready to sign (validated, in normal form):
    ``domain``/``types``/``primaryType``/``message`` for ethers, ``wallet`` for wallets."""
    chain_id, contract = deployment(request)
    return typed_data(ATTESTATION_KIND, chain_id=chain_id, contract=contract, message=body.message)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AttestationPublic)
def push_attestation(
    body: AttestationPush, request: Request, session: SessionDep, org: Signer
) -> JSONResponse:
    """Push one supplier attestation: 201 when stored, 200 when it already was."""
    chain_id, contract = deployment(request)
    (result,) = crud.push(
        session,
        org=org,
        items=[body.model_dump()],
        chain_id=chain_id,
        contract=contract,
        now=utcnow(),
    )
    raise_item_error(result)
    session.commit()
    assert result.id is not None
    public = crud.to_public(session, crud.get_attestation(session, attestation_id=result.id))
    code = status.HTTP_201_CREATED if result.status == "created" else status.HTTP_200_OK
    return JSONResponse(public.model_dump(mode="json"), status_code=code)


@router.post("/bulk")
def push_attestations(
    body: BulkAttestations, request: Request, session: SessionDep, org: Signer
) -> BulkAttestationResult:
    """Push up to 10,000 attestations; each is checked and stored (or not) on its own."""
    chain_id, contract = deployment(request)
    results = crud.push(
        session, org=org, items=body.items, chain_id=chain_id, contract=contract, now=utcnow()
    )
    session.commit()
    return BulkAttestationResult(
        created=sum(r.status == "created" for r in results),
        duplicates=sum(r.status == "duplicate" for r in results),
        errors=sum(r.status == "error" for r in results),
        results=results,
    )


@router.get("/{attestation_id}")
def get_attestation(attestation_id: str, session: SessionDep, org: CurrentOrg) -> AttestationPublic:
    """One attestation (its pusher, its supplier, certification bodies and admins)."""
    found = crud.get_attestation(session, attestation_id=attestation_id)
    crud.check_reader(found, org)
    return crud.to_public(session, found)


@router.get("/{attestation_id}/bundle")
def get_bundle(
    attestation_id: str,
    session: SessionDep,
    org: CurrentOrg,
    hide: Annotated[
        str | None, Query(description="comma-separated fields to hide, e.g. supplierName")
    ] = None,
) -> JSONResponse:
    """The attestation's ``tanji-bundle/1``, its upstream nested; ``hide`` redacts fields."""
    found = crud.get_attestation(session, attestation_id=attestation_id)
    crud.check_reader(found, org)
    hidden = parse_hide(hide)
    bundle = bundle_of(session, ATTESTATION, found, hide=hidden)
    check_hidden(bundle, hidden)
    return JSONResponse(bundle)


@router.post("/{attestation_id}/revoke")
def revoke_attestation(
    attestation_id: str,
    body: AttestationRevoke,
    request: Request,
    session: SessionDep,
    org: CurrentOrg,
) -> AttestationPublic:
    """Withdraw an attestation; its leaf is revoked on chain by the anchoring loop.

    Only its signer (the supplier organisation owning the signing key) or a certification body
    that labelled a product resting on it may (``not_signer`` otherwise): not whoever pushed it.
    """
    found = crud.get_attestation(session, attestation_id=attestation_id)
    crud.revoke_attestation(session, attestation=found, org=org, reason=body.reason_code)
    session.commit()
    wake_anchoring(request)
    return crud.to_public(session, found)
