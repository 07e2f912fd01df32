"""``/api/v1/recognitions``: partners' signed recognitions and withdrawals; their signing keys.

- ``POST /api/v1/recognitions/keys``: a partner certifier registers a signing address, proven by
  an EIP-191 ``personal_sign`` of :func:`registry.crud.suppliers.registration_message` (the same
  key registry suppliers use); ``GET .../keys/challenge?address=`` gives the text to sign,
  ``GET .../keys`` lists them. These are the supplier-key routes' own handlers, mounted here for
  partner certifiers (:func:`registry.api.routes.suppliers.add_key_routes`). Rotation and
  revocation are the shared key routes, ``POST /api/v1/suppliers/keys/{address}/rotate|revoke``
  (open to partner certifiers for their own keys).
- ``POST /api/v1/recognitions``: a signed ``Recognition`` (EIP-712); stored and queued for
  anchoring in one transaction. ``POST /api/v1/recognitions/{id}/withdraw``: a signed
  ``Withdrawal``; stored, anchored, and the recognition's leaf revoked on chain.
- ``GET /api/v1/recognitions[?label_id=]``, ``GET .../{id}``, ``GET .../{id}/bundle``: public.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field

from registry.api.deps import PageDep, SessionDep, SettingsDep, permit, wake_anchoring
from registry.api.routes.suppliers import KeyRouteDocs, add_key_routes
from registry.api.typed_data import TypedDataRequest, typed_data
from registry.crud import recognitions as crud
from registry.errors import ChainSetupError
from registry.models.orgs import Organisation, OrgRole
from registry.models.recognitions import RecognitionPublic, RecognitionsPublic, SignedStatement
from registry.permissions import Action
from registry.records import bundle_of, sweep_revocations
from verifier.protocol.recognition import RECOGNITION as RECOGNITION_KIND
from verifier.protocol.recognition import WITHDRAWAL
from verifier.protocol.records import RECOGNITION

router = APIRouter(prefix="/api/v1/recognitions", tags=["recognitions"])

#: Signing recognitions and withdrawals (the console's in-browser signing checks the same action).
PartnerOrg = Annotated[Organisation, Depends(permit(Action.RECOGNITION_SIGN))]


def deployment(request: Request) -> tuple[int, str]:
    """This registry's EIP-712 domain: the anchoring chain id and anchor contract address."""
    chain = getattr(request.app.state, "chain", None)
    if chain is None:
        raise ChainSetupError(
            "this process does not anchor, so it cannot check what a signature's domain must be",
            code="no_chain",
        )
    return int(chain.chain_id), str(chain.address)


Deployment = Annotated[tuple[int, str], Depends(deployment)]


#: The partner mount of the shared key routes (registry.api.routes.suppliers.add_key_routes).
PARTNER_KEY_DOCS: Final = KeyRouteDocs(
    challenge=(
        "key_challenge",
        "The text the key at ``address`` signs (``personal_sign``) to be registered to the caller.",
    ),
    register=(
        "register_key",
        "Register a signing address of the calling partner certifier (proof of possession).",
    ),
    listing=("list_keys", "The calling partner certifier's signing keys."),
)
add_key_routes(router, OrgRole.PARTNER_CERTIFIER, path="/keys", docs=PARTNER_KEY_DOCS)

#: The statements a partner signs here, by their EIP-712 primary type.
STATEMENT_KINDS: Final = {RECOGNITION_KIND.primary_type: RECOGNITION_KIND, "Withdrawal": WITHDRAWAL}
PrimaryType = Literal["Recognition", "Withdrawal"]


class StatementTypedDataRequest(TypedDataRequest):
    """Body of ``POST /api/v1/recognitions/typed-data``: which statement, and its message."""

    primary_type: PrimaryType = Field(default="Recognition", alias="primaryType")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# Before /{recognition_id}: "eip712" and "typed-data" are not recognition ids.
@router.get("/eip712")
def eip712(
    domain: Deployment,
    primary_type: Annotated[PrimaryType, Query(alias="primaryType")] = "Recognition",
) -> dict[str, Any]:
    """Domain, types and primary type of a ``Recognition`` (or ``?primaryType=Withdrawal``) as
    ethers' ``signTypedData`` takes them; ``wallet``: the ``eth_signTypedData_v4`` form."""
    kind = STATEMENT_KINDS[primary_type]
    return typed_data(kind, chain_id=domain[0], contract=domain[1])


@router.post("/typed-data")
def statement_typed_data(body: StatementTypedDataRequest, domain: Deployment) -> dict[str, Any]:
    """The typed data of one recognition (or withdrawal) message, ready to sign: validated, in
    normal form, for ethers (``domain``/``types``/``primaryType``/``message``) and wallets
    (``wallet``); post it as ``typedData`` with the signature."""
    kind = STATEMENT_KINDS[body.primary_type]
    return typed_data(kind, chain_id=domain[0], contract=domain[1], message=body.message)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RecognitionPublic,
    responses={200: {"description": "the same signed recognition was already recorded"}},
)
def submit_recognition(
    body: SignedStatement,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    org: PartnerOrg,
    domain: Deployment,
) -> JSONResponse:
    """Record a partner's signed recognition of a label or a scheme; it is anchored on chain."""
    recognition, created = crud.submit_recognition(
        session, org=org, body=body, chain_id=domain[0], contract=domain[1]
    )
    session.commit()
    sweep_revocations(session, RECOGNITION)
    wake_anchoring(request)
    public = crud.to_public(session, recognition, base_url=settings.base_url)
    return JSONResponse(
        public.model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


@router.post("/{recognition_id}/withdraw")
def withdraw_recognition(
    recognition_id: str,
    body: SignedStatement,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    org: PartnerOrg,
    domain: Deployment,
) -> RecognitionPublic:
    """Withdraw a recognition with its recognizer's signed ``Withdrawal`` (leaf revoked)."""
    recognition = crud.get_recognition(session, recognition_id=recognition_id)
    crud.withdraw_recognition(
        session,
        org=org,
        recognition=recognition,
        body=body,
        chain_id=domain[0],
        contract=domain[1],
    )
    session.commit()
    sweep_revocations(session, RECOGNITION)
    wake_anchoring(request)
    return crud.to_public(session, recognition, base_url=settings.base_url)


@router.get("")
def list_recognitions(
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    label_id: Annotated[str | None, Query()] = None,
    org_id: Annotated[str | None, Query()] = None,
) -> RecognitionsPublic:
    """Recognitions, newest first (public: recognitions are meant to be seen)."""
    rows, count = crud.list_recognitions(
        session, label_id=label_id, org_id=org_id, offset=page.offset, limit=page.limit
    )
    return RecognitionsPublic(
        data=[crud.to_public(session, r, base_url=settings.base_url) for r in rows], count=count
    )


@router.get("/{recognition_id}")
def get_recognition(
    recognition_id: str, session: SessionDep, settings: SettingsDep
) -> RecognitionPublic:
    """One recognition (public)."""
    recognition = crud.get_recognition(session, recognition_id=recognition_id)
    return crud.to_public(session, recognition, base_url=settings.base_url)


@router.get("/{recognition_id}/bundle")
def get_bundle(recognition_id: str, session: SessionDep) -> JSONResponse:
    """The recognition's own ``tanji-bundle/1`` (public)."""
    # A recognition withdrawn before it was anchored gets its on-chain revocation queued as soon
    # as it is anchored; asking here too means no anchored bundle of it is served without one.
    sweep_revocations(session, RECOGNITION)
    recognition = crud.get_recognition(session, recognition_id=recognition_id)
    return JSONResponse(bundle_of(session, RECOGNITION, recognition))
